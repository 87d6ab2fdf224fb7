using System.Buffers;
using System.Text;
using Envship.Core.Archive;
using Envship.Core.Hashing;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;
using Envship.Core.Relocation;
using Microsoft.Win32.SafeHandles;

namespace Envship.Core.Deploy;

/// <summary>Source and destination prefixes, in the byte form the rules need.</summary>
public sealed class RelocationTarget(string sourcePrefix, string destinationPrefix)
{
    public string SourcePrefix { get; } = sourcePrefix;
    public string DestinationPrefix { get; } = destinationPrefix;
    public byte[] Source { get; } = Encoding.UTF8.GetBytes(sourcePrefix);
    public byte[] Destination { get; } = Encoding.UTF8.GetBytes(destinationPrefix);
    public bool IsIdentity => SourcePrefix == DestinationPrefix;

    /// <summary>Strings the rewrite left unchanged because a constant shares their tail.</summary>
    public KeptStringLog Kept { get; } = new();
}

/// <summary>
/// Applies a manifest's relocation to one file: the I/O around the pure rules in
/// <see cref="Envship.Core.Relocation"/>. On disk, text is streamed to a temporary file and renamed
/// over; binary strings are patched in place so every offset stays where it was. A file held in
/// memory gets the same rules with the same result.
/// </summary>
public static class FileRelocationApplier
{
    // The kernel reads one page of a script for its "#!" line; a longer first line is still parsed from this much.
    private const int ShebangHead = 4096;

    /// <summary>Returns the file's new SHA-256, or null when the bytes did not change.</summary>
    /// <remarks>Text is rewritten through a sibling named <c>PATH.envship-rewrite</c>.</remarks>
    public static string? Apply(string path, ManifestEntry entry, RelocationTarget target) =>
        Apply(path, entry, target, path + ".envship-rewrite");

    /// <summary>
    /// Returns the file's new SHA-256, or null when the bytes did not change. Rewritten text goes
    /// through <paramref name="temporary"/>, which must not exist and must be on the same filesystem.
    /// </summary>
    public static string? Apply(string path, ManifestEntry entry, RelocationTarget target, string temporary)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(target);
        if (!Rewrites(entry, target))
        {
            return null;
        }

        return entry.Relocation!.Kind == RelocationKind.Binary
            ? PatchBinary(path, entry, target)
            : RewriteStream(path, temporary, target, withShebang: entry.Relocation.Kind == RelocationKind.Shebang);
    }

    /// <summary>Whether relocating to <paramref name="target"/> rewrites the entry's bytes (text, shebang or binary strings).</summary>
    public static bool Rewrites(ManifestEntry entry, RelocationTarget target)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(target);
        return !target.IsIdentity && entry.Relocation is { Kind: RelocationKind.Text or RelocationKind.Shebang or RelocationKind.Binary };
    }

    /// <summary>
    /// Relocates a whole file held in <paramref name="data"/>, for an entry that <see cref="Rewrites"/>:
    /// the bytes <see cref="Apply(string, ManifestEntry, RelocationTarget, string)"/> would leave on disk.
    /// Binary strings are patched in <paramref name="data"/> itself; rewritten text goes to a buffer from
    /// the shared pool, handed out through <paramref name="rented"/> for the caller to return.
    /// </summary>
    internal static ReadOnlyMemory<byte> Relocate(Memory<byte> data, ManifestEntry entry, RelocationTarget target, out byte[]? rented)
    {
        rented = null;
        var kind = entry.Relocation!.Kind;
        if (kind == RelocationKind.Binary)
        {
            PatchInMemory(data.Span, entry, target);
            return data;
        }

        var input = data.Span;
        byte[] line = [];
        var body = input;
        if (kind == RelocationKind.Shebang)
        {
            var head = input[..Math.Min(input.Length, ShebangHead)];
            if (ShebangRewriter.TryParse(head, out var shebang) && shebang.LineLength <= head.Length)
            {
                line = ShebangRewriter.Rewrite(shebang, target.SourcePrefix, target.DestinationPrefix);
                body = input[shebang.LineLength..];
            }
        }

        var length = checked((int)(line.Length + TextRelocator.ReplacedLength(body, target.Source, target.Destination)));
        rented = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        line.CopyTo(rented, 0);
        var written = line.Length + TextRelocator.Replace(body, target.Source, target.Destination, rented.AsSpan(line.Length));
        return rented.AsMemory(0, written);
    }

    private static string RewriteStream(string path, string temporary, RelocationTarget target, bool withShebang)
    {
        byte[] hash;
        using (var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
        using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        using (var hashed = new Sha256WriteStream(output, leaveOpen: true))
        {
            if (withShebang)
            {
                var head = new byte[ShebangHead];
                var headLength = input.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
                if (ShebangRewriter.TryParse(head.AsSpan(0, headLength), out var shebang) && shebang.LineLength <= headLength)
                {
                    hashed.Write(ShebangRewriter.Rewrite(shebang, target.SourcePrefix, target.DestinationPrefix));
                    input.Position = shebang.LineLength;
                }
                else
                {
                    input.Position = 0;
                }
            }

            TextRelocator.Copy(input, hashed, target.Source, target.Destination);
            hashed.Flush();
            hash = hashed.Hash;
        }

        File.Move(temporary, path, overwrite: true);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// Patches every segment that fits and keeps its shared tails, in <paramref name="data"/> itself. ELF files are
    /// searched again for constants sharing a tail (archives from older versions never recorded them).
    /// </summary>
    private static void PatchInMemory(Span<byte> data, ManifestEntry entry, RelocationTarget target)
    {
        var segments = entry.Relocation!.Segments ?? [];
        if (!target.IsIdentity && SegmentTails.Applies(data, segments))
        {
            segments = SegmentTails.Attach(data, segments);
        }

        foreach (var segment in segments)
        {
            // Past the end, a read on disk comes back short and the segment is skipped; so it is here.
            if (segment.Offset < 0 || segment.Offset + segment.Length > data.Length)
            {
                continue;
            }

            if (!KeptString.RewriteKeepsTails(segment, entry.Path, target))
            {
                target.Kept.Add(KeptString.For(entry.Path, segment, target));
                continue;
            }

            var region = data.Slice((int)segment.Offset, segment.Length);
            TryPatch(region, entry.Path, segment, target, region);
        }
    }

    private static string PatchBinary(string path, ManifestEntry entry, RelocationTarget target)
    {
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            foreach (var segment in WithTailsFoundOnDisk(handle, entry, target))
            {
                var region = new byte[segment.Length];
                if (RandomAccess.Read(handle, region, segment.Offset) != region.Length)
                {
                    continue;
                }

                if (!KeptString.RewriteKeepsTails(segment, entry.Path, target))
                {
                    target.Kept.Add(KeptString.For(entry.Path, segment, target));
                    continue;
                }

                var patched = new byte[region.Length];
                if (TryPatch(region, entry.Path, segment, target, patched))
                {
                    RandomAccess.Write(handle, patched, segment.Offset);
                }
            }
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Sha256.HexOf(stream);
    }

    /// <summary>The entry's segments, with the shared tails an ELF file's bytes show (archives from older versions never recorded them).</summary>
    private static IReadOnlyList<BinarySegment> WithTailsFoundOnDisk(SafeFileHandle handle, ManifestEntry entry, RelocationTarget target)
    {
        var segments = entry.Relocation!.Segments ?? [];
        Span<byte> magic = stackalloc byte[4];
        var length = RandomAccess.GetLength(handle);
        if (target.IsIdentity || segments.Count == 0 || length > int.MaxValue
            || RandomAccess.Read(handle, magic, 0) != magic.Length || !SegmentTails.Applies(magic, segments))
        {
            return segments;
        }

        return MappedFile.Read(handle, length, bytes => SegmentTails.Attach(bytes, segments));
    }

    /// <summary>
    /// Writes the relocated segment into <paramref name="patched"/> (which may be the region itself);
    /// false, with <paramref name="patched"/> untouched, when the destination does not fit.
    /// </summary>
    private static bool TryPatch(ReadOnlySpan<byte> region, string relativePath, BinarySegment segment, RelocationTarget target, Span<byte> patched)
    {
        if (segment.Kind == SegmentKind.ElfRunpath)
        {
            var directory = Path.GetDirectoryName(relativePath) ?? "";
            var rewritten = RunpathRewriter.Rewrite(segment.Value!, target.SourcePrefix, target.DestinationPrefix, directory, region.Length - 1, preferOrigin: false);
            if (rewritten is null)
            {
                return false;
            }

            patched.Clear();
            Encoding.UTF8.GetBytes(rewritten, patched);
            return true;
        }

        return CStringRelocator.Relocate(region, target.Source, target.Destination, patched).Fits;
    }
}
