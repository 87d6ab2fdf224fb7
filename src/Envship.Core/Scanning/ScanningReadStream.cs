namespace Envship.Core.Scanning;

/// <summary>
/// A file's bytes on their way into the archive, fed to a <see cref="ContentScanner"/> as they pass.
/// It yields exactly the size the walk saw and fails if the file has more or fewer bytes by then:
/// a tar header already promised that size, so a file that changed cannot be archived silently.
/// Seekable only so that a tar writer can ask for its length.
/// </summary>
/// <param name="file">Read forward only; a read that returns less than asked is taken as its end, as for any regular file.</param>
internal sealed class ScanningReadStream(Stream file, string path, long declaredSize, ContentScanner scanner, CancellationToken cancellationToken = default) : Stream
{
    private const int CopyBufferSize = 1 << 20;
    private long _position;

    // Set once a read came back short of what was asked: the file ended there, so no probe for more is needed.
    private bool _endSeen;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => declaredSize;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var remaining = declaredSize - _position;
        if (remaining == 0)
        {
            if (buffer.Length > 0)
            {
                RefuseIfLonger();
            }

            return 0;
        }

        // One byte more than is left, where the buffer has room: a longer file then shows in this
        // same read, and a short read proves the end without another system call.
        var asked = (int)Math.Min(buffer.Length, remaining + 1);
        var read = file.Read(buffer[..asked]);
        if (read == 0)
        {
            throw PrefixInventory.ChangedWhilePacking(path, declaredSize, _position);
        }

        if (read > remaining)
        {
            throw PrefixInventory.GrewWhilePacking(path, declaredSize);
        }

        _endSeen = read < asked;
        scanner.Append(buffer[..read]);
        _position += read;
        return read;
    }

    /// <summary>Fails unless exactly the declared bytes were read and the file holds no more.</summary>
    public void EnsureComplete()
    {
        if (_position != declaredSize)
        {
            throw PrefixInventory.ChangedWhilePacking(path, declaredSize, _position);
        }

        RefuseIfLonger();
    }

    /// <summary>A tar writer copies member data with small buffers; large reads mean fewer system calls and bigger compressor writes.</summary>
    public override void CopyTo(Stream destination, int bufferSize)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Clamp(declaredSize + 1, 1, CopyBufferSize));
        try
        {
            int read;
            while ((read = Read(buffer)) > 0)
            {
                destination.Write(buffer, 0, read);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => declaredSize + offset,
        };
        return target == _position ? _position : throw new NotSupportedException("A scanning stream reads forward only.");
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            file.Dispose();
        }

        base.Dispose(disposing);
    }

    private void RefuseIfLonger()
    {
        if (_endSeen)
        {
            return;
        }

        Span<byte> probe = stackalloc byte[1];
        if (file.Read(probe) > 0)
        {
            throw PrefixInventory.GrewWhilePacking(path, declaredSize);
        }

        _endSeen = true;
    }
}
