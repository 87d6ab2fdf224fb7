using System.Security.Cryptography;
using System.Text;
using Envship.Core.Archive;
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
}

/// <summary>
/// Applies a manifest's relocation to one file on disk: the I/O around the pure rules in
/// <see cref="Envship.Core.Relocation"/>. Text is streamed to a sibling and renamed over;
/// binary strings are patched in place so every offset stays where it was.
/// </summary>
public static class FileRelocationApplier
{
    /// <summary>Returns the file's new SHA-256, or null when the bytes did not change.</summary>
    public static string? Apply(string path, ManifestEntry entry, RelocationTarget target)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(target);
        if (target.IsIdentity || entry.Relocation is null)
        {
            return null;
        }

        return entry.Relocation.Kind switch
        {
            RelocationKind.Text => RewriteStream(path, target, withShebang: false),
            RelocationKind.Shebang => RewriteStream(path, target, withShebang: true),
            RelocationKind.Binary => PatchBinary(path, entry, target),
            _ => null,
        };
    }

    private static string RewriteStream(string path, RelocationTarget target, bool withShebang)
    {
        var temporary = path + ".envship-rewrite";
        using var sha = SHA256.Create();
        using (var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
        using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        using (var hashed = new CryptoStream(output, sha, CryptoStreamMode.Write))
        {
            if (withShebang)
            {
                var head = new byte[4096];
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
        }

        File.Move(temporary, path, overwrite: true);
        return Convert.ToHexStringLower(sha.Hash!);
    }

    private static string PatchBinary(string path, ManifestEntry entry, RelocationTarget target)
    {
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            foreach (var segment in entry.Relocation!.Segments ?? [])
            {
                PatchSegment(handle, entry.Path, segment, target);
            }
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void PatchSegment(SafeFileHandle handle, string relativePath, BinarySegment segment, RelocationTarget target)
    {
        var region = new byte[segment.Length];
        if (RandomAccess.Read(handle, region, segment.Offset) != region.Length)
        {
            return;
        }

        var patched = new byte[region.Length];
        if (segment.Kind == SegmentKind.ElfRunpath)
        {
            var directory = Path.GetDirectoryName(relativePath) ?? "";
            var rewritten = RunpathRewriter.Rewrite(segment.Value!, target.SourcePrefix, target.DestinationPrefix, directory, region.Length - 1, preferOrigin: false);
            if (rewritten is null)
            {
                return;
            }

            Encoding.UTF8.GetBytes(rewritten, patched);
        }
        else if (!CStringRelocator.Relocate(region, target.Source, target.Destination, patched).Fits)
        {
            return;
        }

        RandomAccess.Write(handle, patched, segment.Offset);
    }
}
