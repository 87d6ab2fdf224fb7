using Envship.Core.Archive;
using Envship.Core.Conda;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;
using Envship.Core.Scanning;

namespace Envship.Core.Exports;

/// <summary>Loads the export model of one environment from a live prefix or from an archive.</summary>
public static class ExportSource
{
    /// <summary>An archive (file or <c>--format dir</c> tree with a manifest) or a conda prefix.</summary>
    public static ExportEnvironment Load(string path, string? environmentName)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return IsArchive(path) ? FromArchive(path, environmentName) : FromPrefix(path, environmentName);
    }

    public static bool IsArchive(string path) =>
        File.Exists(path) || File.Exists(Path.Combine(path, Manifest.EntryName));

    public static ExportEnvironment FromPrefix(string prefix, string? environmentName)
    {
        var root = Deployer.NormalizePrefix(prefix);
        if (!Directory.Exists(Path.Combine(root, CondaMeta.DirectoryName)))
        {
            throw new EnvshipException(ExitCode.Usage, $"{prefix}: neither an envship archive nor a conda environment (no conda-meta/). Pass an archive made by 'envship pack' or an environment's prefix.");
        }

        var layout = InstallationLayout.Detect(root);
        var environments = EnvironmentSurvey.Survey(root, layout);
        var environment = Select(environments, e => e.Name, e => e.RelativePath, environmentName, prefix);
        var absolute = Path.Combine(root, environment.RelativePath);
        return ExportModelBuilder.Build(
            environment,
            absolute,
            absolute,
            Subdir(environment.Records),
            NewestMetadataChange(absolute),
            relative => UnixFileSystem.TryStat(Path.Combine(absolute, relative)) is { Kind: UnixFileKind.RegularFile } status ? status.Size : null);
    }

    public static ExportEnvironment FromArchive(string archive, string? environmentName)
    {
        using var reader = ArchiveReader.Open(archive);
        var manifest = reader.Manifest;
        var environment = Select(manifest.Environments, e => e.Name, e => e.Path, environmentName, archive);
        var member = $".envship/{Exporters.EmbeddedDirectory}/{environment.Name}/{Exporters.RecordsFileName}";
        if (reader.ReadMetadata().TryGetValue(member, out var json))
        {
            try
            {
                return ExportJson.Deserialize(json, $"{archive}: {member}");
            }
            catch (InvalidDataException ex)
            {
                throw new EnvshipException(ExitCode.DamagedArchive, $"{ex.Message} Pack the environment again.", ex);
            }
        }

        // Archives packed before exports were embedded only have what the manifest lists.
        return new ExportEnvironment
        {
            Name = environment.Name,
            Prefix = environment.Path.Length == 0 ? manifest.SourcePrefix : $"{manifest.SourcePrefix}/{environment.Path}",
            Subdir = manifest.Platform.Subdir,
            Created = manifest.Created,
            Packages =
            [
                .. environment.CondaPackages.Select(p => new ExportPackage
                {
                    Name = p.Name, Version = p.Version, Build = p.Build, Channel = p.Channel, Subdir = p.Subdir, InstalledSize = p.Size,
                }),
            ],
            PipDistributions = [.. environment.PipDistributions.Where(d => d.Installer != "conda").Select(d => new ExportPipDistribution(d.Name, d.Version, d.Installer))],
        };
    }

    private static T Select<T>(IReadOnlyList<T> environments, Func<T, string> name, Func<T, string> path, string? wanted, string source)
    {
        if (wanted is null)
        {
            return environments.FirstOrDefault(e => path(e).Length == 0) ?? environments[0];
        }

        return environments.FirstOrDefault(e => name(e) == wanted)
            ?? environments.FirstOrDefault(e => path(e) == wanted)
            ?? throw new EnvshipException(
                ExitCode.Usage,
                $"{source}: no environment named '{wanted}'. It has: {string.Join(", ", environments.Select(name))}. Pass one of those with --env.");
    }

    private static string Subdir(IReadOnlyList<CondaPackageRecord> records) =>
        EnvironmentPlatform.Of(records.Select(r => r.Subdir)).CondaSubdir;

    private static DateTimeOffset NewestMetadataChange(string environment)
    {
        var newest = Directory.EnumerateFiles(Path.Combine(environment, CondaMeta.DirectoryName))
            .Select(f => UnixFileSystem.TryStat(f)?.ModifiedNanoseconds ?? 0)
            .DefaultIfEmpty(0)
            .Max();
        return DateTimeOffset.UnixEpoch.AddTicks(newest / 100);
    }
}
