using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Envship.Core.Platform;

/// <summary>
/// New files created and written through open(2) and pwrite(2) alone. .NET's own
/// handle adds two flock calls and an lseek to every file, three system calls of eight for each of
/// a deploy's 200,000 files. Errors keep their errno as the <see cref="IOException"/>'s HResult.
/// </summary>
internal static partial class UnixFileWriter
{
    private const int Interrupted = 4;

    // O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, and O_NOFOLLOW, whose value differs between x86 and Arm.
    private const int CreateFlags = 0x1 | 0x40 | 0x80 | 0x80000;
    private const int OwnerReadWrite = 0b110_000_000;
    private static readonly int NoFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    /// <summary>The process's file creation mask, read once (reading it means setting it, so it is put straight back).</summary>
    public static int Umask { get; } = ReadUmask();

    /// <summary>Creates <paramref name="path"/>, which must not exist, readable and writable by its owner only until its mode is set.</summary>
    public static SafeFileHandle CreateNew(string path)
    {
        int fd;
        do
        {
            fd = NativeMethods.Open(path, CreateFlags | NoFollow, OwnerReadWrite);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == Interrupted);

        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Error("create", path);
    }

    /// <summary>
    /// Creates <paramref name="name"/> inside an open directory, which must not have it yet, with
    /// <paramref name="mode"/> as the umask leaves it: the kernel resolves one name, not the whole path.
    /// </summary>
    /// <param name="path">The full path, for messages only.</param>
    public static SafeFileHandle CreateNewAt(SafeFileHandle directory, string name, int mode, string path)
    {
        ArgumentNullException.ThrowIfNull(directory);
        int fd;
        do
        {
            fd = NativeMethods.OpenAt((int)directory.DangerousGetHandle(), name, CreateFlags | NoFollow, mode & 0x1FF);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == Interrupted);

        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Error("create", path);
    }

    /// <summary>Whether a file created with <paramref name="mode"/> already has exactly it, so no chmod is needed.</summary>
    public static bool CreatesExactly(int mode) => (mode & ~0x1FF) == 0 && (mode & Umask) == 0;

    /// <summary>Writes all of <paramref name="bytes"/> at <paramref name="offset"/>.</summary>
    public static unsafe void WriteAt(SafeFileHandle handle, ReadOnlySpan<byte> bytes, long offset, string path)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var fd = (int)handle.DangerousGetHandle();
        fixed (byte* start = bytes)
        {
            var written = 0;
            while (written < bytes.Length)
            {
                var result = NativeMethods.Pwrite(fd, start + written, (nuint)(bytes.Length - written), offset + written);
                if (result < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Interrupted)
                    {
                        continue;
                    }

                    throw Error("write", path);
                }

                written += (int)result;
            }
        }
    }

    private static int ReadUmask()
    {
        var mask = NativeMethods.SetUmask(0x12);
        _ = NativeMethods.SetUmask(mask);
        return mask;
    }

    private static IOException Error(string action, string path)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"Cannot {action} '{path}': {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    private static unsafe partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Open(string path, int flags, int mode);

        [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int OpenAt(int directoryFd, string name, int flags, int mode);

        [LibraryImport("libc", EntryPoint = "umask")]
        internal static partial int SetUmask(int mask);

        [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
        internal static partial nint Pwrite(int fd, byte* buffer, nuint count, long offset);
    }
}
