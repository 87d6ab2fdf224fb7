using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Scanning;
using Envship.Core.Hashing;

namespace Envship.Core.Exports;

/// <summary>Builds the export members a pack embeds after the manifest, from the surveyed environments and the inventory.</summary>
public static class EmbeddedExports
{
    public static IReadOnlyList<(string Name, byte[] Content)> Build(
        Manifest manifest, string packedFrom, IReadOnlyList<SurveyedEnvironment> environments)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Build(manifest.SourcePrefix, manifest.Platform.Subdir, manifest.Created, ByPath(manifest.Entries), packedFrom, environments);
    }

    /// <param name="entries">The archive's entries by path, for the sizes of each package's files.</param>
    public static IReadOnlyList<(string Name, byte[] Content)> Build(
        string sourcePrefix, string subdir, DateTimeOffset created, IReadOnlyDictionary<string, ManifestEntry> entries, string packedFrom, IReadOnlyList<SurveyedEnvironment> environments)
    {
        ArgumentNullException.ThrowIfNull(environments);
        var models = environments.Select(e => ExportModelBuilder.Build(
            e,
            Path.Combine(packedFrom, e.RelativePath),
            e.RelativePath.Length == 0 ? sourcePrefix : $"{sourcePrefix}/{e.RelativePath}",
            subdir,
            created,
            FileSizes(entries, e.RelativePath)));
        return Exporters.Embedded(models);
    }

    public static Dictionary<string, ManifestEntry> ByPath(IEnumerable<ManifestEntry> entries) => entries.ToDictionary(e => e.Path, StringComparer.Ordinal);

    public static IReadOnlyList<ManifestMetadataFile> Describe(IEnumerable<(string Name, byte[] Content)> members) =>
        [.. members.Select(m => new ManifestMetadataFile(m.Name, m.Content.Length, Sha256.HexOf(m.Content)))];

    /// <summary>File sizes by path relative to one environment; a hard link counts the bytes of the file it shares.</summary>
    public static Func<string, long?> FileSizes(IEnumerable<ManifestEntry> entries, string environmentPath) => FileSizes(ByPath(entries), environmentPath);

    /// <summary>File sizes by path relative to one environment, from entries already keyed by path.</summary>
    public static Func<string, long?> FileSizes(IReadOnlyDictionary<string, ManifestEntry> all, string environmentPath)
    {
        ArgumentNullException.ThrowIfNull(all);
        var prefix = environmentPath.Length == 0 ? "" : environmentPath + "/";
        return relative =>
        {
            if (!all.TryGetValue(prefix + relative, out var entry))
            {
                return null;
            }

            return entry.Type switch
            {
                EntryType.File => entry.Size,
                EntryType.Hardlink when entry.Target is { } target && all.TryGetValue(target, out var first) => first.Size,
                _ => null,
            };
        };
    }
}
