using System.Security.Cryptography;
using Envship.Core.Archive;
using Envship.Core.Scanning;

namespace Envship.Core.Exports;

/// <summary>Builds the export members a pack embeds after the manifest, from the surveyed environments and the inventory.</summary>
public static class EmbeddedExports
{
    public static IReadOnlyList<(string Name, byte[] Content)> Build(
        Manifest manifest, string packedFrom, IReadOnlyList<SurveyedEnvironment> environments)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(environments);
        var models = environments.Select(e => ExportModelBuilder.Build(
            e,
            Path.Combine(packedFrom, e.RelativePath),
            e.RelativePath.Length == 0 ? manifest.SourcePrefix : $"{manifest.SourcePrefix}/{e.RelativePath}",
            manifest.Platform.Subdir,
            manifest.Created,
            FileSizes(manifest.Entries, e.RelativePath)));
        return Exporters.Embedded(models);
    }

    public static IReadOnlyList<ManifestMetadataFile> Describe(IEnumerable<(string Name, byte[] Content)> members) =>
        [.. members.Select(m => new ManifestMetadataFile(m.Name, m.Content.Length, Convert.ToHexStringLower(SHA256.HashData(m.Content))))];

    /// <summary>File sizes by path relative to one environment; a hard link counts the bytes of the file it shares.</summary>
    public static Func<string, long?> FileSizes(IEnumerable<ManifestEntry> entries, string environmentPath)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var all = entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
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
