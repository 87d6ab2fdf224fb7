using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Envship.Core.Platform;

/// <summary>What statvfs says about the filesystem holding a path, as an unprivileged user may use it.</summary>
/// <param name="Path">The existing path that was asked about.</param>
/// <param name="BlockSize">The fundamental block size (f_frsize).</param>
/// <param name="AvailableBytes">Free bytes for unprivileged users (f_bavail × f_frsize).</param>
/// <param name="AvailableInodes">Free inodes for unprivileged users, or null when the filesystem has no fixed inode count.</param>
public sealed partial record FileSystemSpace(string Path, long BlockSize, long AvailableBytes, long? AvailableInodes)
{
    private const int StatvfsBufferSize = 256;

    /// <summary>Asks about the nearest existing ancestor of <paramref name="path"/>, since the path itself may not exist yet.</summary>
    public static FileSystemSpace ForNearestExisting(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var existing = System.IO.Path.GetFullPath(path);
        while (UnixFileSystem.TryStat(existing) is null && System.IO.Path.GetDirectoryName(existing) is { } parent)
        {
            existing = parent;
        }

        Span<byte> buffer = stackalloc byte[StatvfsBufferSize];
        buffer.Clear();
        if (NativeMethods.Statvfs(existing, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"Cannot read the free space of '{existing}': {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }

        // 64-bit glibc and musl: f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_favail, each 8 bytes.
        var fragment = (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer[8..]);
        var availableBlocks = (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer[32..]);
        var totalInodes = BinaryPrimitives.ReadUInt64LittleEndian(buffer[40..]);
        var availableInodes = (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer[56..]);
        return new FileSystemSpace(existing, fragment, availableBlocks * fragment, totalInodes == 0 ? null : availableInodes);
    }

    private static partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "statvfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Statvfs(string path, ref byte buffer);
    }
}
