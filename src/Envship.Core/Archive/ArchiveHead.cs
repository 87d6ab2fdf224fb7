using System.Security.Cryptography;
using Envship.Core.Platform;

namespace Envship.Core.Archive;

/// <summary>
/// The leading members of an archive written in one pass: the manifest and the embedded exports,
/// which can only be known after every file was read, compressed on their own and put in front of
/// the members already written. Compressed streams concatenate, so readers see one archive.
/// </summary>
internal static class ArchiveHead
{
    /// <summary>Filesystems that can shift a file's data do it in whole blocks, and 4 KiB is the common block.</summary>
    private const int Alignment = 4096;

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
        using (var sha = SHA256.Create())
        {
            using (var hashing = new CryptoStream(json, sha, CryptoStreamMode.Write, leaveOpen: true))
            using (var buffered = new BufferedStream(hashing, 1 << 20))
            {
                ManifestJson.Write(manifest, entries, buffered);
            }

            digest = Convert.ToHexStringLower(sha.Hash!);
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

        if (format == ArchiveFormat.TarZst)
        {
            AppendPaddingFrame(memory);
        }

        return memory.ToArray();
    }

    /// <summary>
    /// Puts <paramref name="head"/> in front of the bytes of <paramref name="path"/>: in place where the
    /// filesystem can insert blocks (ext4, XFS), else by writing it to <paramref name="scratch"/>,
    /// appending the members with copy_file_range (a block clone on btrfs) and renaming that over
    /// <paramref name="path"/>. The bytes are the same either way.
    /// Like tar and zstd, a pack does not wait for the disk: an archive torn by a power cut fails
    /// deploy's frame checksums and per-file hashes, so it is refused, never deployed.
    /// </summary>
    public static void Prepend(string path, byte[] head, string scratch)
    {
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            if (head.Length % Alignment == 0 && UnixFileSystem.TryInsertRange(file.SafeFileHandle, 0, head.Length))
            {
                RandomAccess.Write(file.SafeFileHandle, head, 0);
                return;
            }
        }

        using (var joined = new FileStream(scratch, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0))
        {
            joined.Write(head);
            using (var body = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0))
            {
                UnixFileSystem.CopyFileRange(body, joined);
            }
        }

        UnixFileSystem.Rename(scratch, path);
    }

    /// <summary>
    /// Rounds the head up to whole blocks with a zstd skippable frame, which every zstd reader passes
    /// over, so that it can be inserted in place. It is always added, so packs stay byte-identical
    /// whichever way the head was put in place.
    /// </summary>
    private static void AppendPaddingFrame(MemoryStream memory)
    {
        var padding = (int)((Alignment - (memory.Length % Alignment)) % Alignment);
        if (padding < SkippableFrameHeader)
        {
            padding += Alignment;
        }

        Span<byte> header = stackalloc byte[SkippableFrameHeader];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header, SkippableFrameMagic);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)(padding - SkippableFrameHeader));
        memory.Write(header);
        memory.Write(new byte[padding - SkippableFrameHeader]);
    }
}
