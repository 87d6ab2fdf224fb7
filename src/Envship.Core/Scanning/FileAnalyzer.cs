using System.Buffers;
using System.Text;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;
using Envship.Core.Relocation;

namespace Envship.Core.Scanning;

/// <summary>What conda-meta says about a file that was installed with a placeholder.</summary>
public sealed record PlaceholderHint(string Placeholder, string FileMode)
{
    public bool IsBinary => string.Equals(FileMode, "binary", StringComparison.Ordinal);
}

public sealed record FileAnalysis(string Sha256, long Size, FileRelocation? Relocation, IReadOnlyList<string> Warnings)
{
    /// <summary>For ELF files: the highest <c>GLIBC_x.y</c> symbol version needed ("2.34"), if any.</summary>
    public string? GlibcFloor { get; init; }
}

/// <summary>
/// One streaming pass over a file: SHA-256 and every occurrence of the prefix, then a classification
/// of those hits into the relocation a deploy must apply.
/// </summary>
public sealed class FileAnalyzer
{
    private const int ChunkSize = 1 << 20;
    private const int MaxStringWindow = 1 << 16;
    private static readonly string[] ZipExtensions = [".whl", ".egg", ".zip", ".jar"];

    private readonly byte[] _prefix;

    public FileAnalyzer(string prefix)
    {
        _prefix = Encoding.UTF8.GetBytes(prefix);
    }

    /// <summary>Starts the streaming half of an analysis; feed it the file's bytes, then <see cref="Complete"/> it.</summary>
    public ContentScanner Begin() => new(_prefix);

    public FileAnalysis Analyze(Stream content, string relativePath, PlaceholderHint? hint)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var scanner = Begin();
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            int read;
            while ((read = content.Read(buffer, 0, ChunkSize)) > 0)
            {
                scanner.Append(buffer.AsSpan(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Complete(scanner, () => content, relativePath, hint);
    }

    /// <summary>
    /// Classifies what the scanner saw. Only ELF files and files that name the prefix need the file
    /// again, for their headers and the strings around each hit, so <paramref name="openForRandomAccess"/>
    /// is called for those alone; the caller disposes what it returns.
    /// </summary>
    public FileAnalysis Complete(ContentScanner scanner, Func<Stream> openForRandomAccess, string relativePath, PlaceholderHint? hint)
    {
        ArgumentNullException.ThrowIfNull(scanner);
        ArgumentNullException.ThrowIfNull(openForRandomAccess);
        var digest = scanner.FinishHash();
        var header = scanner.Header;
        var isElf = ElfReader.IsElf(header);
        if (!isElf && scanner.Hits.Count == 0)
        {
            return new FileAnalysis(digest, scanner.Size, null, []);
        }

        var content = openForRandomAccess();
        var glibcFloor = isElf ? ElfVersionNeeds.TryReadGlibcFloor(content) : null;
        if (scanner.Hits.Count == 0)
        {
            return new FileAnalysis(digest, scanner.Size, null, []) { GlibcFloor = glibcFloor };
        }

        var warnings = new List<string>();
        var relocation = Classify(content, relativePath, hint, header, scanner.SawNul, scanner.Hits, warnings);
        return new FileAnalysis(digest, scanner.Size, relocation, warnings) { GlibcFloor = glibcFloor };
    }

    private FileRelocation Classify(
        Stream content, string relativePath, PlaceholderHint? hint, ReadOnlySpan<byte> header, bool sawNul, IReadOnlyList<long> hits, List<string> warnings)
    {
        var extension = Path.GetExtension(relativePath);
        if (extension is ".pyc" or ".pyo")
        {
            return new FileRelocation { Kind = RelocationKind.Pyc, Occurrences = hits.Count };
        }

        if (ZipExtensions.Contains(extension, StringComparer.OrdinalIgnoreCase) || header.StartsWith("PK\u0003\u0004"u8))
        {
            warnings.Add($"{relativePath}: names the source prefix inside a zip-based file, which cannot be patched; it keeps the old path after deploy.");
            return new FileRelocation { Kind = RelocationKind.Zip, Occurrences = hits.Count };
        }

        var isElf = ElfReader.IsElf(header);
        var binary = hint is not null ? hint.IsBinary || isElf : isElf || sawNul;
        if (!binary)
        {
            var kind = ShebangRewriter.TryParse(header, out var shebang) && header[..Math.Min(shebang.LineLength, header.Length)].IndexOf(_prefix) >= 0
                ? RelocationKind.Shebang
                : RelocationKind.Text;
            return new FileRelocation { Kind = kind, Occurrences = hits.Count };
        }

        var extraPadding = hint is { IsBinary: true } ? Math.Max(0, Encoding.UTF8.GetByteCount(hint.Placeholder) - _prefix.Length) : 0;
        IReadOnlyList<BinarySegment> segments = FindSegments(content, relativePath, isElf, extraPadding, hits, warnings);
        if (isElf && segments.Count > 0)
        {
            segments = FindSharedTails(content, relativePath, segments, warnings);
        }

        return new FileRelocation { Kind = RelocationKind.Binary, Occurrences = hits.Count, Segments = segments };
    }

    /// <summary>Reads the whole ELF file once more, for the references into its prefix strings that code and data make.</summary>
    private static IReadOnlyList<BinarySegment> FindSharedTails(Stream content, string relativePath, IReadOnlyList<BinarySegment> segments, List<string> warnings)
    {
        if (content.Length > Array.MaxLength)
        {
            warnings.Add($"{relativePath}: too large to check whether constants share the tails of its prefix strings; they are relocated as conda would.");
            return segments;
        }

        var found = segments;
        segments = MappedFile.Read(content, bytes => SegmentTails.Attach(bytes, found));
        // A reference to the terminator alone (an empty string) matters only for a longer destination, and the deploy says so then.
        foreach (var segment in segments.Where(s => s.SharedTails?.Any(t => t.Text.Length > 0) == true))
        {
            warnings.Add($"{relativePath}: the string '{segment.Value}' ends in {SharedTail.Describe(segment.SharedTails!)}, which the program also uses as a separate constant; a deploy keeps the string unchanged unless rewriting it leaves that constant as it is.");
        }

        return segments;
    }

    private List<BinarySegment> FindSegments(
        Stream content, string relativePath, bool isElf, int extraPadding, IReadOnlyList<long> hits, List<string> warnings)
    {
        var runpaths = isElf ? ElfReader.TryRead(content)?.Runpaths ?? [] : [];
        var segments = new List<BinarySegment>();
        var window = ArrayPool<byte>.Shared.Rent(MaxStringWindow + extraPadding);
        try
        {
            long coveredUntil = -1;
            foreach (var hit in hits)
            {
                if (hit < coveredUntil)
                {
                    segments[^1] = segments[^1] with { Occurrences = segments[^1].Occurrences + 1 };
                    continue;
                }

                var runpath = runpaths.FirstOrDefault(r => hit >= r.FileOffset && hit < r.FileOffset + Encoding.UTF8.GetByteCount(r.Value));
                if (runpath is not null)
                {
                    var length = Encoding.UTF8.GetByteCount(runpath.Value);
                    segments.Add(new BinarySegment
                    {
                        Offset = runpath.FileOffset,
                        Length = runpath.RegionLength,
                        StringLength = length,
                        Occurrences = 1,
                        Kind = SegmentKind.ElfRunpath,
                        Value = runpath.Value,
                    });
                    coveredUntil = runpath.FileOffset + length;
                    continue;
                }

                content.Position = hit;
                var available = content.ReadAtLeast(window.AsSpan(0, MaxStringWindow + extraPadding), MaxStringWindow + extraPadding, throwOnEndOfStream: false);
                var span = window.AsSpan(0, available);
                var region = CStringRelocator.MeasureRegion(span, extraPadding);
                if (region < 0)
                {
                    warnings.Add($"{relativePath}: the prefix at offset {hit} is not inside a NUL-terminated string; it is left unchanged.");
                    coveredUntil = hit + _prefix.Length;
                    continue;
                }

                var stringLength = span.IndexOf((byte)0);
                segments.Add(new BinarySegment { Offset = hit, Length = region, StringLength = stringLength, Occurrences = 1 });
                coveredUntil = hit + stringLength;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(window);
        }

        return segments;
    }
}
