using Envship.Core.Archive;
using Envship.Core.Conda;
using Envship.Core.Deploy;
using Envship.Core.Exports;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Scanning;

namespace Envship.Core.Diff;

/// <summary>One side of a diff: its packages and its entries, from an archive's manifest or a scan of a prefix.</summary>
internal sealed record DiffSide(
    IReadOnlyList<ManifestEnvironment> Environments,
    IReadOnlyList<ManifestEntry> Entries)
{
    public static DiffSide Load(string path, int jobs, CancellationToken cancellationToken)
    {
        if (ExportSource.IsArchive(path))
        {
            var manifest = ArchiveReader.ReadManifestOnly(path);
            return new DiffSide(manifest.Environments, manifest.Entries);
        }

        var prefix = Deployer.NormalizePrefix(path);
        if (!Directory.Exists(Path.Combine(prefix, CondaMeta.DirectoryName)))
        {
            throw new EnvshipException(ExitCode.Usage, $"{path}: neither an envship archive nor a conda environment (no conda-meta/). Pass an archive made by 'envship pack' or an environment's prefix.");
        }

        var layout = InstallationLayout.Detect(prefix);
        var environments = EnvironmentSurvey.Survey(prefix, layout);

        // The same scan pack runs, so an unchanged prefix matches its archive.
        var inventory = PrefixInventory.Scan(
            PackScan.Options(prefix, layout, environments, keepPackageCache: false) with { Jobs = jobs },
            cancellationToken);
        var entries = inventory.Items.Select(i => i.Entry).ToList();
        return new DiffSide(
            [.. environments.Select(e => EnvironmentSurvey.ToManifest(e, EmbeddedExports.FileSizes(entries, e.RelativePath)))],
            entries);
    }
}
