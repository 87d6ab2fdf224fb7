using Envship.Core.Archive.Compression;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Scanning;
using Envship.Core.Hashing;

namespace Envship.Core.Pack;

/// <summary>
/// How much room a single-pass pack leaves in front of the members for the head (the compressed
/// manifest and exports, known only at the end). The members are written after the room; the head
/// then goes into it, and a skippable frame fills what is left. A head that fits costs no copy and
/// no wait for the disk; one that does not falls back to inserting blocks, which flushes the file.
/// The room is unused archive bytes, so the estimate aims a little above the head, not far above.
/// Every input is the walk's, never the thread count, so <c>-j</c> still does not change the bytes.
/// </summary>
internal static class HeadReserve
{
    /// <summary>The unit filesystems insert and shift blocks in.</summary>
    public const int Alignment = 4096;

    private const int SampleRuns = 32;
    private const int SampleRunLength = 128;

    // Measured: the full manifest compresses to 0.90-0.97 of the runs' extrapolation (context the
    // runs lack); the margin covers relocation records, which the walk cannot know.
    private const double Margin = 1.06;
    private const int FixedBytes = 16 << 10;

    // Measured: a glibc_needs record compresses to about 14 bytes; the walk cannot tell ELF files yet,
    // so every shared library and every file in a bin/ directory is counted, at a margin.
    private const int GlibcNeedBytes = 24;
    private static readonly string EmptyDigest = Sha256.HexOf([]);

    /// <summary>
    /// The compressed size of the manifest's entries, from runs of consecutive planned entries spread
    /// over the walk, each file given a hash-sized random value, compressed as the head will be.
    /// </summary>
    public static long EstimateEntries(IReadOnlyList<InventoryItem> items, int level)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
        {
            return 0;
        }

        var runs = Math.Max(1, Math.Min(SampleRuns, items.Count / SampleRunLength));
        var runLength = Math.Min(SampleRunLength, items.Count);
        var sampled = 0;
        using var compressed = new CountingStream();
        using (var compressor = ZstdStreams.Compressor(compressed, level, workers: 1))
        using (var spool = new JsonOutput(compressor, ManifestJson.WriterOptions))
        {
            spool.Writer.WriteStartArray();
            for (var run = 0; run < runs; run++)
            {
                var start = (long)run * (items.Count - runLength) / Math.Max(1, runs - 1);
                for (var i = (int)start; i < start + runLength; i++)
                {
                    System.Text.Json.JsonSerializer.Serialize(spool.Writer, WithStandInHash(items[i].Entry, i), ManifestJsonContext.Default.ManifestEntry);
                    spool.SpillWhenFull();
                    sampled++;
                }
            }

            spool.Writer.WriteEndArray();
            spool.Spill();
        }

        return (long)(compressed.Length * (double)items.Count / sampled) + (GlibcNeedBytes * items.Count(MayNeedGlibc));
    }

    private static bool MayNeedGlibc(InventoryItem item)
    {
        var path = item.Entry.Path;
        return item.Entry.Type == EntryType.File
            && (path.EndsWith(".so", StringComparison.Ordinal) || path.Contains(".so.", StringComparison.Ordinal)
                || path.StartsWith("bin/", StringComparison.Ordinal) || path.Contains("/bin/", StringComparison.Ordinal));
    }

    /// <summary>The room for the head: the entries' estimate, the exports and the manifest's outline, whole blocks.</summary>
    public static long Total(long entriesEstimate, IReadOnlyList<(string Name, byte[] Content)> exports)
    {
        ArgumentNullException.ThrowIfNull(exports);

        // Exports are JSON and YAML that compress at least 3 to 1; each member adds its tar headers.
        var exportBytes = exports.Sum(e => (e.Content.Length / 3) + 1024L);
        return Align((long)((entriesEstimate + exportBytes) * Margin) + FixedBytes);
    }

    public static long Align(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;

    private static ManifestEntry WithStandInHash(ManifestEntry entry, int index)
    {
        if (entry.Type != EntryType.File)
        {
            return entry;
        }

        // As incompressible as a real digest, and the same for every pack of the same walk. Empty
        // files, often thousands in a python environment, all share the one real digest they will have.
        if (entry.Size == 0)
        {
            return entry with { Sha256 = EmptyDigest };
        }

        Span<byte> seed = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(seed, index);
        return entry with { Sha256 = Sha256.HexOf(seed) };
    }
}
