using System.Runtime.InteropServices;

namespace Envship.Core.Platform;

/// <summary>
/// A regular file read front to back through open(2), read(2) and close(2) alone. A
/// <see cref="FileStream"/> adds fstat, two flock calls and fadvise to every open: four system calls
/// per file that a pack of 200,000 files does not need. The last path component is never followed
/// if it became a symlink after the walk.
/// </summary>
internal sealed partial class UnixReadStream : Stream
{
    // O_RDONLY | O_NOCTTY | O_CLOEXEC, and O_NOFOLLOW, whose value differs between x86 and Arm.
    private const int ReadFlags = 0x100 | 0x80000;
    private const int Interrupted = 4;
    private static readonly int NoFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    private readonly string _path;
    private int _fd;

    private UnixReadStream(string path, int fd)
    {
        _path = path;
        _fd = fd;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <exception cref="FileNotFoundException">The file is gone.</exception>
    /// <exception cref="UnauthorizedAccessException">It may not be read.</exception>
    /// <exception cref="IOException">Any other failure, the symlink case included.</exception>
    public static UnixReadStream Open(string path)
    {
        int fd;
        do
        {
            fd = NativeMethods.Open(path, ReadFlags | NoFollow);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == Interrupted);

        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            var reason = Marshal.GetPInvokeErrorMessage(errno);
            throw errno switch
            {
                2 => new FileNotFoundException($"{path}: the file is gone ({reason}).", path),
                13 or 1 => new UnauthorizedAccessException($"{path}: cannot read the file ({reason})."),
                40 => new IOException($"{path}: the file was replaced by a symlink while it was being packed.", errno),
                _ => new IOException($"{path}: cannot open the file ({reason}).", errno),
            };
        }

        return new UnixReadStream(path, fd);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override unsafe int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        nint read;
        fixed (byte* target = buffer)
        {
            do
            {
                read = NativeMethods.Read(_fd, target, (nuint)buffer.Length);
            }
            while (read < 0 && Marshal.GetLastPInvokeError() == Interrupted);
        }

        if (read < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{_path}: cannot read the file ({Marshal.GetPInvokeErrorMessage(errno)}).", errno);
        }

        return (int)read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            // A read-only descriptor has nothing to lose on close, so its error is of no use.
            _ = NativeMethods.Close(fd);
        }

        base.Dispose(disposing);
    }

    private static unsafe partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
        internal static partial nint Read(int fd, byte* buffer, nuint count);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        internal static partial int Close(int fd);
    }
}
