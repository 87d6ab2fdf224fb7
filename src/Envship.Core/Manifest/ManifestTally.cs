using Envship.Core.Archive;
using Envship.Core.Pack;
using Envship.Core.Relocation;
using Envship.Core.Scanning;

namespace Envship.Core.Manifests;

/// <summary>
/// What the manifest says about all its entries together (counts, bytes, relocations, the glibc
/// floor, the newest mtime), added up one item at a time so a pack need not keep the items.
/// </summary>
internal sealed class ManifestTally
{
    private readonly SortedDictionary<string, int> _relocations = new(StringComparer.Ordinal);
    private int _files;
    private int _directories;
    private int _symlinks;
    private int _hardlinks;
    private long _totalBytes;
    private long? _newestMtimeNs;
    private readonly List<ManifestGlibcNeed> _glibcNeeds = [];

    /// <summary>The highest <c>GLIBC_x.y</c> any ELF file needs; the first file in archive order that needs it names it.</summary>
    public string? GlibcFloor { get; private set; }

    public string? GlibcFloorFile { get; private set; }

    /// <summary>Each ELF file's highest <c>GLIBC_x.y</c>, in the order the files were added.</summary>
    public IReadOnlyList<ManifestGlibcNeed> GlibcNeeds => _glibcNeeds;

    public ManifestSummary Summary => new()
    {
        Files = _files,
        Directories = _directories,
        Symlinks = _symlinks,
        Hardlinks = _hardlinks,
        TotalBytes = _totalBytes,
        Relocations = _relocations.ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal),
    };

    public static ManifestTally Of(IEnumerable<InventoryItem> items)
    {
        var tally = new ManifestTally();
        foreach (var item in items)
        {
            tally.Add(item);
        }

        return tally;
    }

    public void Add(InventoryItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var entry = item.Entry;
        switch (entry.Type)
        {
            case EntryType.File:
                _files++;
                _totalBytes += entry.Size;
                break;
            case EntryType.Directory:
                _directories++;
                break;
            case EntryType.Symlink:
                _symlinks++;
                break;
            case EntryType.Hardlink:
                _hardlinks++;
                break;
        }

        if (entry.Relocation is { } relocation)
        {
            var kind = relocation.Kind.ToString().ToLowerInvariant();
            _relocations[kind] = _relocations.GetValueOrDefault(kind) + 1;
        }

        if (item.GlibcFloor is { } need)
        {
            _glibcNeeds.Add(new ManifestGlibcNeed(entry.Path, need));
        }

        if (item.GlibcFloor is { } floor && (GlibcFloor is null || GlibcVersions.Compare(floor, GlibcFloor) > 0))
        {
            GlibcFloor = floor;
            GlibcFloorFile = entry.Path;
        }

        _newestMtimeNs = Math.Max(_newestMtimeNs ?? long.MinValue, entry.MtimeNs);
    }

    /// <summary>The newest mtime of the entries and the prefix itself, which dates a pack that was given no time.</summary>
    public DateTimeOffset NewestMtime(ManifestRoot root) => Newest(_newestMtimeNs ?? long.MinValue, root);

    /// <summary>The same date, from entries not added to a tally.</summary>
    public static DateTimeOffset NewestMtime(ManifestRoot root, IEnumerable<ManifestEntry> entries) =>
        Newest(entries.Select(e => e.MtimeNs).DefaultIfEmpty(long.MinValue).Max(), root);

    private static DateTimeOffset Newest(long entriesNs, ManifestRoot root) =>
        DateTimeOffset.UnixEpoch.AddTicks(Math.Max(entriesNs, root.MtimeNs) / 100);
}
