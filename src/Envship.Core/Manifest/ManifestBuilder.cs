using Envship.Core.Archive;
using Envship.Core.Conda;
using Envship.Core.Deploy;
using Envship.Core.Exports;
using Envship.Core.Pack;
using Envship.Core.Platform;
using Envship.Core.Scanning;

namespace Envship.Core.Manifests;

internal static class ManifestBuilder
{
    /// <param name="entries">The entries, or none when they were streamed to a <see cref="ManifestEntrySpool"/> as <paramref name="tally"/> was added up.</param>
    public static Manifest Build(
        PackOptions options,
        string packedFrom,
        string sourcePrefix,
        InstallationLayout layout,
        IReadOnlyList<ManifestEnvironment> environments,
        ManifestRoot root,
        ManifestTally tally,
        IReadOnlyList<ManifestEntry> entries,
        IReadOnlyList<string> warnings)
    {
        var platform = EnvironmentPlatform.Of(environments.SelectMany(e => e.CondaPackages).Select(p => p.Subdir));
        return new Manifest
        {
            EnvshipVersion = Deployer.EnvshipVersion,
            SourcePrefix = sourcePrefix,
            PackedFromPrefix = sourcePrefix == packedFrom ? null : packedFrom,
            ArchiveRoot = options.ArchiveRoot.Trim('/'),
            Platform = new ManifestPlatform(platform.CondaSubdir, platform.Os, platform.Arch),
            Created = options.Created ?? tally.NewestMtime(root),
            WholeInstallation = layout.IsWholeInstallation,
            Root = root,
            Environments = environments,
            Summary = tally.Summary,
            Warnings = warnings,
            GlibcFloor = tally.GlibcFloor,
            GlibcFloorFile = tally.GlibcFloorFile,
            GlibcNeeds = tally.GlibcNeeds.Count == 0 ? null : [.. tally.GlibcNeeds],
            Entries = entries,
        };
    }

    /// <summary>
    /// The environments as the manifest lists them, each conda package with the size of its files.
    /// Needs the records' file lists, which a pack drops once this is known.
    /// </summary>
    /// <param name="entries">The walked entries by path, for the sizes of each package's files.</param>
    public static IReadOnlyList<ManifestEnvironment> DescribeEnvironments(IReadOnlyList<SurveyedEnvironment> environments, IReadOnlyDictionary<string, ManifestEntry> entries) =>
        [.. environments.Select(e => EnvironmentSurvey.ToManifest(e, EmbeddedExports.FileSizes(entries, e.RelativePath)))];

    public static IReadOnlyList<ManifestEnvironment> DescribeEnvironments(IReadOnlyList<SurveyedEnvironment> environments, IReadOnlyList<InventoryItem> items)
    {
        var entries = items.Select(i => i.Entry).ToList();
        return [.. environments.Select(e => EnvironmentSurvey.ToManifest(e, EmbeddedExports.FileSizes(entries, e.RelativePath)))];
    }
}
