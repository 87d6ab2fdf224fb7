using Envship.Core.Conda;
using Envship.Core.Deploy;
using Envship.Core.Exports;
using Envship.Core.Platform;
using Envship.Core.Relocation;
using Envship.Core.Scanning;

namespace Envship.Core.Archive;

internal static class ManifestBuilder
{
    public static Manifest Build(
        PackOptions options,
        string packedFrom,
        string sourcePrefix,
        InstallationLayout layout,
        IReadOnlyList<ManifestEnvironment> environments,
        ManifestRoot root,
        IReadOnlyList<InventoryItem> items,
        IReadOnlyList<string> warnings)
    {
        var entries = items.Select(i => i.Entry).ToList();
        var host = HostPlatform.Current;
        var glibc = GlibcFloor(items);
        return new Manifest
        {
            EnvshipVersion = Deployer.EnvshipVersion,
            SourcePrefix = sourcePrefix,
            PackedFromPrefix = sourcePrefix == packedFrom ? null : packedFrom,
            ArchiveRoot = options.ArchiveRoot.Trim('/'),
            Platform = new ManifestPlatform(host.CondaSubdir, host.Os, host.Arch),
            Created = options.Created ?? NewestMtime(root, entries),
            WholeInstallation = layout.IsWholeInstallation,
            Root = root,
            Environments = environments,
            Summary = Summarize(entries),
            Warnings = warnings,
            GlibcFloor = glibc?.GlibcFloor,
            GlibcFloorFile = glibc?.Entry.Path,
            Entries = entries,
        };
    }

    /// <summary>
    /// The environments as the manifest lists them, each conda package with the size of its files.
    /// Needs the records' file lists, which a pack drops once this is known.
    /// </summary>
    public static IReadOnlyList<ManifestEnvironment> DescribeEnvironments(IReadOnlyList<SurveyedEnvironment> environments, IReadOnlyList<InventoryItem> items)
    {
        var entries = items.Select(i => i.Entry).ToList();
        return [.. environments.Select(e => EnvironmentSurvey.ToManifest(e, EmbeddedExports.FileSizes(entries, e.RelativePath)))];
    }

    // Items are in path order, so the first file with the highest version names the floor reproducibly.
    private static InventoryItem? GlibcFloor(IReadOnlyList<InventoryItem> items)
    {
        InventoryItem? highest = null;
        foreach (var item in items.Where(i => i.GlibcFloor is not null))
        {
            if (highest is null || GlibcVersions.Compare(item.GlibcFloor!, highest.GlibcFloor!) > 0)
            {
                highest = item;
            }
        }

        return highest;
    }

    private static DateTimeOffset NewestMtime(ManifestRoot root, List<ManifestEntry> entries)
    {
        var newest = entries.Select(e => e.MtimeNs).Append(root.MtimeNs).Max();
        return DateTimeOffset.UnixEpoch.AddTicks(newest / 100);
    }

    private static ManifestSummary Summarize(List<ManifestEntry> entries) => new()
    {
        Files = entries.Count(e => e.Type == EntryType.File),
        Directories = entries.Count(e => e.Type == EntryType.Directory),
        Symlinks = entries.Count(e => e.Type == EntryType.Symlink),
        Hardlinks = entries.Count(e => e.Type == EntryType.Hardlink),
        TotalBytes = entries.Sum(e => e.Type == EntryType.File ? e.Size : 0),
        Relocations = entries
            .Where(e => e.Relocation is not null)
            .GroupBy(e => e.Relocation!.Kind.ToString().ToLowerInvariant())
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count()),
    };
}
