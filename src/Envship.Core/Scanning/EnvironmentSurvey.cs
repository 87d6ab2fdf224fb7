using Envship.Core.Archive;
using Envship.Core.Conda;
using Envship.Core.Exports;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;

namespace Envship.Core.Scanning;

/// <summary>One environment inside the packed tree, with what conda-meta and site-packages say about it.</summary>
public sealed record SurveyedEnvironment(
    string RelativePath,
    string Name,
    string? PythonVersion,
    IReadOnlyList<CondaPackageRecord> Records,
    IReadOnlyList<PipDistribution> PipDistributions,
    IReadOnlyList<EditableInstall> EditableInstalls);

/// <summary>
/// Reads the metadata of every environment in a prefix (the base and, for a whole installation,
/// each <c>envs/NAME</c>) before anything is archived, so problems surface first.
/// </summary>
public static class EnvironmentSurvey
{
    public static IReadOnlyList<SurveyedEnvironment> Survey(string prefix, InstallationLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var paths = layout.EnvironmentPaths.Count > 0 ? layout.EnvironmentPaths : [""];
        return [.. paths.Select(relative => SurveyOne(prefix, relative, layout.IsWholeInstallation))];
    }

    /// <summary>Placeholder data from conda-meta, keyed by path relative to the packed prefix.</summary>
    public static Dictionary<string, PlaceholderHint> Placeholders(IEnumerable<SurveyedEnvironment> environments)
    {
        var hints = new Dictionary<string, PlaceholderHint>(StringComparer.Ordinal);
        foreach (var environment in environments)
        {
            foreach (var path in environment.Records.SelectMany(r => r.PathsData))
            {
                if (path.PrefixPlaceholder is { Length: > 0 } placeholder)
                {
                    hints[Join(environment.RelativePath, path.Path)] = new PlaceholderHint(placeholder, path.FileMode ?? "text");
                }
            }
        }

        return hints;
    }

    /// <param name="environment">The surveyed environment.</param>
    /// <param name="fileSize">Sizes of files relative to the environment, giving each conda package a size.</param>
    public static ManifestEnvironment ToManifest(SurveyedEnvironment environment, Func<string, long?>? fileSize = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return new ManifestEnvironment
        {
            Path = environment.RelativePath,
            Name = environment.Name,
            PythonVersion = environment.PythonVersion,
            CondaPackages = [.. environment.Records.Select(r => new ManifestCondaPackage(r.Name, r.Version, r.Build, r.ChannelName ?? "", r.Subdir ?? "", fileSize is null ? null : ExportModelBuilder.InstalledSize(r, fileSize)))],
            PipDistributions = [.. environment.PipDistributions.Select(d => new ManifestPipDistribution(d.Name, d.Version, d.Installer))],
            Cuda = CudaRequirement.Of(environment.Records),
        };
    }

    /// <summary>
    /// The files conda-meta lists that the prefix does not have, relative to it and sorted. Checked
    /// against the walk, which has already looked at every file: only a listed path the walk did not
    /// produce (left out by a filter, or reached through a symlinked directory) costs an lstat.
    /// </summary>
    public static IReadOnlyList<string> FindMissingFiles(string prefix, IEnumerable<SurveyedEnvironment> environments, IReadOnlyList<InventoryItem> walked)
    {
        ArgumentNullException.ThrowIfNull(walked);
        var present = new HashSet<string>(walked.Count, StringComparer.Ordinal);
        foreach (var item in walked)
        {
            present.Add(item.Entry.Path);
        }

        return FindMissingFiles(prefix, environments, present.Contains);
    }

    /// <param name="walked">Whether the walk produced a path (relative to the prefix).</param>
    public static IReadOnlyList<string> FindMissingFiles(string prefix, IEnumerable<SurveyedEnvironment> environments, Func<string, bool> walked)
    {
        ArgumentNullException.ThrowIfNull(environments);
        ArgumentNullException.ThrowIfNull(walked);
        return environments
            .SelectMany(e => e.Records
                .SelectMany(r => r.Files.Count > 0 ? r.Files : r.PathsData.Select(p => p.Path))
                .Select(file => Join(e.RelativePath, file)))
            .Where(path => !walked(path))
            .Distinct(StringComparer.Ordinal)
            .Where(path => UnixFileSystem.TryStat(Path.Combine(prefix, path)) is null)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>A <c>.pyc</c> inside a <c>__pycache__</c> directory: Python writes it again when it imports the module.</summary>
    public static bool IsBytecodeCache(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.EndsWith(".pyc", StringComparison.Ordinal)
            && (path.StartsWith("__pycache__/", StringComparison.Ordinal) || path.Contains("/__pycache__/", StringComparison.Ordinal));
    }

    internal static string Join(string environmentPath, string relative) =>
        environmentPath.Length == 0 ? relative : $"{environmentPath}/{relative}";

    private static SurveyedEnvironment SurveyOne(string prefix, string relative, bool wholeInstallation)
    {
        var absolute = relative.Length == 0 ? prefix : Path.Combine(prefix, relative);
        var records = CondaMeta.ReadRecords(absolute);
        var name = relative.Length == 0
            ? (wholeInstallation ? "base" : Path.GetFileName(prefix))
            : Path.GetFileName(relative);
        return new SurveyedEnvironment(
            relative,
            name,
            PythonPackages.DetectPythonVersion(absolute, records),
            records,
            PythonPackages.FindDistributions(absolute),
            EditableInstalls.Find(absolute));
    }
}
