using Envship.Core.Hashing;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;

namespace Envship.Core.Archive;

/// <summary>
/// The leading members of an archive written in one pass: the manifest and the embedded exports,
/// which can only be known after every file was read, compressed on their own and put in front of
/// the members already written. Compressed streams concatenate, so readers see one archive.
/// </summary>
internal static class ArchiveHead
{
    private const uint SkippableFrameMagic = 0x184D2A50;
    private const int SkippableFrameHeader = 8;

    /// <param name="spool">
    /// A scratch file for the manifest's JSON, deleted when done: at 200,000 entries it is about 60 MB,
    /// which would otherwise sit in memory beside the manifest it was made from.
    /// </param>
    /// <param name="entries">The manifest's entries, spooled as the members were written.</param>
    public static byte[] Compress(Manifest manifest, ManifestEntrySpool entries, IReadOnlyList<(string Name, byte[] Content)> metadata, ArchiveFormat format, int level, int jobs, string archiveRoot, string spool)
    {
        var createdNs = (manifest.Created - DateTimeOffset.UnixEpoch).Ticks * 100;
        using var json = new FileStream(spool, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 0, FileOptions.DeleteOnClose);
        string digest;
        using (var hashing = new Sha256WriteStream(json, leaveOpen: true))
        {
            using (var buffered = new BufferedStream(hashing, 1 << 20))
            {
                ManifestJson.Write(manifest, entries, buffered);
            }

            digest = Convert.ToHexStringLower(hashing.Hash);
        }

        json.Position = 0;
        using var memory = new MemoryStream();
        using (var writer = new TarArchiveWriter(memory, format, level, jobs, archiveRoot, endOfArchive: false))
        {
            writer.WriteManifest(json, digest, createdNs);
            foreach (var (name, content) in metadata)
            {
                writer.WriteMetadata(name, content, createdNs);
            }
        }

        return memory.ToArray();
    }

    /// <summary>
    /// The bytes a zstd head occupies with its padding: at least the room reserved, in whole blocks,
    /// and room for the skippable frame that fills what the head leaves.
    /// </summary>
    public static long Region(long headLength, long reserved) =>
        Math.Max(reserved, HeadReserve.Align(headLength + SkippableFrameHeader));

    /// <summary>
    /// Puts <paramref name="head"/> in front of the members, which begin at <paramref name="reserved"/>
    /// in <paramref name="path"/>. A zstd head fills the room and a skippable frame (which every zstd
    /// reader passes over) covers the rest, left as a hole. A head larger than the room gets more:
    /// blocks inserted in place where the filesystem can (ext4, XFS), else a copy through
    /// <paramref name="scratch"/> with copy_file_range (a clone on btrfs), renamed over the file.
    /// The bytes are the same every way. A gzip head, which has no skippable member, is always copied.
    /// Like tar and zstd, a pack does not wait for the disk: an archive torn by a power cut fails
    /// deploy's frame checksums and per-file hashes, so it is refused, never deployed.
    /// </summary>
    public static void Place(string path, byte[] head, long reserved, ArchiveFormat format, string scratch)
    {
        var zstd = format == ArchiveFormat.TarZst;
        var region = zstd ? Region(head.Length, reserved) : head.Length;
        var padding = zstd ? SkippableFrame(region - head.Length) : [];
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            var grown = region - reserved;
            if (zstd && (grown == 0 || UnixFileSystem.TryInsertRange(file.SafeFileHandle, 0, grown)))
            {
                RandomAccess.Write(file.SafeFileHandle, head, 0);
                RandomAccess.Write(file.SafeFileHandle, padding, head.Length);
                return;
            }
        }

        using (var joined = new FileStream(scratch, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0))
        {
            joined.Write(head);
            joined.Write(padding);
            joined.SetLength(region);
            joined.Position = region;
            using (var body = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0))
            {
                body.Position = reserved;
                UnixFileSystem.CopyFileRange(body, joined);
            }
        }

        UnixFileSystem.Rename(scratch, path);
    }

    /// <summary>The header of a skippable frame <paramref name="length"/> bytes long in all; its content is zeros, left unwritten.</summary>
    private static byte[] SkippableFrame(long length)
    {
        var header = new byte[SkippableFrameHeader];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header, SkippableFrameMagic);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), checked((uint)(length - SkippableFrameHeader)));
        return header;
    }
}
