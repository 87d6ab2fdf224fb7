using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Envship.Core.Platform;

public enum UnixFileKind
{
    Other,
    RegularFile,
    Directory,
    SymbolicLink,
}

/// <summary>What lstat says about one path, with nanosecond mtimes and inode identity that .NET's FileSystemInfo does not expose.</summary>
public readonly record struct UnixFileStatus(
    UnixFileKind Kind,
    int Mode,
    long Size,
    long ModifiedNanoseconds,
    ulong Device,
    ulong Inode,
    uint LinkCount);

/// <summary>Thin wrappers over the Linux calls envship needs for exact metadata: statx, utimensat, rename, renameat2 and link.</summary>
public static partial class UnixFileSystem
{
    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const long UtimeOmit = (1L << 30) - 2;
    private const int StatxBufferSize = 256;
    private const int AtEmptyPath = 0x1000;
    private const uint RenameExchange = 2;
    private const int ErrnoInvalid = 22;
    private const int ErrnoNotImplemented = 38;
    private const int ErrnoNotSupported = 95;

    public static UnixFileStatus Stat(string path) =>
        TryStat(path) ?? throw IoError("stat", path);

    /// <summary>lstat that answers null for a missing path; a dangling symlink still exists.</summary>
    public static UnixFileStatus? TryStat(string path) => TryStatAt(AtCurrentDirectory, path);

    /// <summary>lstat of <paramref name="name"/> inside an open directory: the kernel resolves one component, not the whole path.</summary>
    public static UnixFileStatus? TryStatAt(SafeHandle directory, string name)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return TryStatAt((int)directory.DangerousGetHandle(), name);
    }

    /// <summary>Opens a directory for <see cref="TryStatAt(SafeHandle, string)"/>.</summary>
    public static Microsoft.Win32.SafeHandles.SafeFileHandle OpenDirectory(string path)
    {
        // O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC; the first two differ between x86 and Arm.
        var arm = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;
        var flags = (arm ? 0x4000 | 0x8000 : 0x10000 | 0x20000) | 0x80000;
        var fd = NativeMethods.Open(path, flags);
        return fd >= 0 ? new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true) : throw IoError("open the directory", path);
    }

    private static UnixFileStatus? TryStatAt(int directoryFd, string path)
    {
        Span<byte> buffer = stackalloc byte[StatxBufferSize];
        if (NativeMethods.Statx(directoryFd, path, AtSymlinkNoFollow, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            return null;
        }

        var rawMode = BinaryPrimitives.ReadUInt16LittleEndian(buffer[28..]);
        var kind = (rawMode & 0xF000) switch
        {
            0x8000 => UnixFileKind.RegularFile,
            0x4000 => UnixFileKind.Directory,
            0xA000 => UnixFileKind.SymbolicLink,
            _ => UnixFileKind.Other,
        };
        var mtimeSeconds = BinaryPrimitives.ReadInt64LittleEndian(buffer[112..]);
        var mtimeNanos = BinaryPrimitives.ReadUInt32LittleEndian(buffer[120..]);
        var device = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(buffer[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(buffer[140..]);
        return new UnixFileStatus(
            kind,
            rawMode & 0xFFF,
            (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer[40..]),
            (mtimeSeconds * 1_000_000_000L) + mtimeNanos,
            device,
            BinaryPrimitives.ReadUInt64LittleEndian(buffer[32..]),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer[16..]));
    }

    /// <summary>Sets the modification time without following a final symlink; the access time is left alone.</summary>
    public static void SetModifiedTime(string path, long modifiedNanoseconds)
    {
        Span<long> times = stackalloc long[4];
        FillTimes(times, modifiedNanoseconds);
        if (NativeMethods.Utimensat(AtCurrentDirectory, path, ref MemoryMarshal.GetReference(times), AtSymlinkNoFollow) != 0)
        {
            throw IoError("set the modification time of", path);
        }
    }

    /// <summary>futimens: the same for an open file, without looking its path up again.</summary>
    public static void SetModifiedTime(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long modifiedNanoseconds)
    {
        ArgumentNullException.ThrowIfNull(handle);
        Span<long> times = stackalloc long[4];
        FillTimes(times, modifiedNanoseconds);
        if (NativeMethods.Futimens((int)handle.DangerousGetHandle(), ref MemoryMarshal.GetReference(times)) != 0)
        {
            throw IoError("set the modification time of", "an open file");
        }
    }

    private static void FillTimes(Span<long> times, long modifiedNanoseconds)
    {
        times[0] = 0;
        times[1] = UtimeOmit;
        times[2] = Math.DivRem(modifiedNanoseconds, 1_000_000_000L, out var nanos);
        times[3] = nanos;
        if (nanos < 0)
        {
            times[2] -= 1;
            times[3] = nanos + 1_000_000_000L;
        }
    }

    /// <summary>rename(2): atomic on one filesystem, and unlike Directory.Move it may replace an empty directory.</summary>
    public static void Rename(string source, string destination)
    {
        if (NativeMethods.Rename(source, destination) != 0)
        {
            throw IoError($"rename '{source}' to", destination);
        }
    }

    /// <summary>
    /// renameat2(RENAME_EXCHANGE): swaps two paths in one step, so neither is ever missing.
    /// Answers false where the kernel or filesystem cannot, so the caller falls back to two renames.
    /// </summary>
    public static bool TryExchange(string first, string second)
    {
        if (NativeMethods.RenameAt2(AtCurrentDirectory, first, AtCurrentDirectory, second, RenameExchange) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno is ErrnoInvalid or ErrnoNotImplemented or ErrnoNotSupported)
        {
            return false;
        }

        throw new IOException($"Cannot exchange '{first}' and '{second}': {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    /// <summary>The inode behind an open handle, to tell whether a path still names the file that was opened.</summary>
    public static ulong InodeOf(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        Span<byte> buffer = stackalloc byte[StatxBufferSize];
        if (NativeMethods.Statx((int)handle.DangerousGetHandle(), string.Empty, AtEmptyPath, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            throw IoError("stat", "an open file");
        }

        return BinaryPrimitives.ReadUInt64LittleEndian(buffer[32..]);
    }

    /// <summary>
    /// fallocate(FALLOC_FL_INSERT_RANGE): shifts a file's bytes from <paramref name="offset"/> on by
    /// <paramref name="length"/> without copying them, leaving a hole to write into. Both must be
    /// multiples of the filesystem's block size. Answers false where the filesystem cannot (tmpfs,
    /// NFS, larger blocks), so the caller copies instead.
    /// </summary>
    public static bool TryInsertRange(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(handle);
        const int InsertRange = 0x20;
        if (NativeMethods.Fallocate((int)handle.DangerousGetHandle(), InsertRange, offset, length) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno is ErrnoInvalid or ErrnoNotImplemented or ErrnoNotSupported)
        {
            return false;
        }

        throw new IOException($"Cannot make room at the start of the archive: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    /// <summary>
    /// Appends all of <paramref name="source"/> from its current position to <paramref name="target"/>
    /// at its current position with copy_file_range(2): inside the kernel, and as a block clone on
    /// filesystems that share extents (btrfs, XFS).
    /// </summary>
    public static void CopyFileRange(FileStream source, FileStream target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        long sourceOffset = source.Position, targetOffset = target.Position;
        var end = source.Length;
        while (sourceOffset < end)
        {
            var copied = NativeMethods.CopyFileRange((int)source.SafeFileHandle.DangerousGetHandle(), ref sourceOffset, (int)target.SafeFileHandle.DangerousGetHandle(), ref targetOffset, (nuint)Math.Min(end - sourceOffset, 1L << 30), 0);
            if (copied < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"Cannot copy the archive's members into place: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }

            if (copied == 0)
            {
                throw new IOException("Cannot copy the archive's members into place: the temporary file ended early.");
            }
        }

        source.Position = sourceOffset;
        target.Position = targetOffset;
    }

    public static void HardLink(string existing, string newPath)
    {
        if (NativeMethods.Link(existing, newPath) != 0)
        {
            throw IoError($"hard-link '{existing}' as", newPath);
        }
    }

    private static IOException IoError(string action, string path)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"Cannot {action} '{path}': {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    private static partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Statx(int directoryFd, string path, int flags, uint mask, ref byte buffer);

        [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Utimensat(int directoryFd, string path, ref long times, int flags);

        [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
        internal static partial int Futimens(int fd, ref long times);

        [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Rename(string oldPath, string newPath);

        [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int RenameAt2(int oldDirectoryFd, string oldPath, int newDirectoryFd, string newPath, uint flags);

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
        internal static partial nint CopyFileRange(int sourceFd, ref long sourceOffset, int targetFd, ref long targetOffset, nuint length, uint flags);

        [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
        internal static partial int Fallocate(int fd, int mode, long offset, long length);

        [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Link(string oldPath, string newPath);
    }
}
