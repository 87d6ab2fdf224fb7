using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Scanning;

namespace Envship.Core.Pack;

/// <summary>One regular file on its way into the archive: the header to write, its bytes, and then its analysis.</summary>
internal interface IPackedFile : IDisposable
{
    /// <summary>The entry for the tar header; its size is final (a rewritten conda-meta record may differ from lstat's).</summary>
    ManifestEntry Entry { get; }

    /// <summary>Exactly <c>Entry.Size</c> bytes.</summary>
    Stream Data { get; }

    /// <summary>After <see cref="Data"/> was read to its end: the item with hash and relocation, its warnings added to <paramref name="warnings"/>.</summary>
    InventoryItem Finish(List<string> warnings);
}

/// <summary>Where a single-pass pack gets the files of a walked prefix from, in walk order.</summary>
internal interface IPackedFileSource : IDisposable
{
    IPackedFile Next(InventoryItem planned);
}

/// <summary>Reads, hashes and scans each file on the writing thread, as the tar writer pulls its bytes.</summary>
internal sealed class InlineFileSource(ScanOptions scan, CancellationToken cancellationToken) : IPackedFileSource
{
    private readonly FileAnalyzer _analyzer = new(scan.Prefix);
    private readonly ContentScanner _scanner = new FileAnalyzer(scan.Prefix).Begin();

    public IPackedFile Next(InventoryItem planned)
    {
        var rewritten = PackedFileReader.TryRewrite(planned, scan, _analyzer);
        if (rewritten is not null)
        {
            return new ReadyFile(rewritten.Value.Item, new MemoryStream(rewritten.Value.Content, writable: false), rewritten.Value.Warnings);
        }

        _scanner.Reset();
        var path = planned.SourcePath!;
        var stream = new ScanningReadStream(PrefixInventory.OpenSequential(path), path, planned.Entry.Size, _scanner, cancellationToken);
        return new StreamedFile(planned, stream, () => PackedFileReader.Complete(planned, stream, _scanner, _analyzer, scan));
    }

    public void Dispose() => _scanner.Dispose();

    private sealed class ReadyFile(InventoryItem item, Stream data, IReadOnlyList<string> fileWarnings) : IPackedFile
    {
        public ManifestEntry Entry => item.Entry;
        public Stream Data => data;

        public InventoryItem Finish(List<string> warnings)
        {
            warnings.AddRange(fileWarnings);
            return item;
        }

        public void Dispose() => data.Dispose();
    }

    private sealed class StreamedFile(InventoryItem planned, ScanningReadStream data, Func<(InventoryItem Item, IReadOnlyList<string> Warnings)> complete) : IPackedFile
    {
        public ManifestEntry Entry => planned.Entry;
        public Stream Data => data;

        public InventoryItem Finish(List<string> warnings)
        {
            var (item, fileWarnings) = complete();
            warnings.AddRange(fileWarnings);
            return item;
        }

        public void Dispose() => data.Dispose();
    }
}

/// <summary>The reading and analysis both sources share.</summary>
internal static class PackedFileReader
{
    /// <summary>Conda-meta records are read whole, rewritten and analyzed at once; null for every other file.</summary>
    public static (InventoryItem Item, byte[] Content, IReadOnlyList<string> Warnings)? TryRewrite(InventoryItem planned, ScanOptions scan, FileAnalyzer analyzer)
    {
        var relative = planned.Entry.Path;
        if (scan.Rewrite is null || !scan.IsRewriteCandidate(relative))
        {
            return null;
        }

        var path = planned.SourcePath!;
        var original = File.ReadAllBytes(path);
        var rewritten = scan.Rewrite(relative, original);
        if (rewritten is null && original.Length != planned.Entry.Size)
        {
            throw PrefixInventory.ChangedWhilePacking(path, planned.Entry.Size, original.Length);
        }

        var content = rewritten ?? original;
        scan.Placeholders.TryGetValue(relative, out var hint);
        using var memory = new MemoryStream(content, writable: false);
        var analysis = analyzer.Analyze(memory, relative, hint);
        return (planned.Analyzed(analysis, rewritten), content, analysis.Warnings);
    }

    /// <summary>Once every byte passed the scanner: checks the size held, and classifies, reopening the file only if needed.</summary>
    public static (InventoryItem Item, IReadOnlyList<string> Warnings) Complete(InventoryItem planned, ScanningReadStream data, ContentScanner scanner, FileAnalyzer analyzer, ScanOptions scan)
    {
        data.EnsureComplete();
        var path = planned.SourcePath!;
        scan.Placeholders.TryGetValue(planned.Entry.Path, out var hint);
        FileStream? reopened = null;
        try
        {
            var analysis = analyzer.Complete(scanner, () => reopened ??= PrefixInventory.OpenForScan(path), planned.Entry.Path, hint);
            return (planned.Analyzed(analysis, null), analysis.Warnings);
        }
        finally
        {
            reopened?.Dispose();
        }
    }
}
