using Envship.Core.Hashing;

namespace Envship.Core.Registry.Pull;

/// <summary>Exactly <c>size</c> bytes of a member's data, hashed as a tar writer copies them; seekable only so the writer can ask the length.</summary>
internal sealed class SizedHashingStream(Stream inner, long size) : Stream
{
    private readonly Sha256Hasher _hash = Sha256.CreateHasher();
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => size;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public string HashHex() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var asked = (int)Math.Min(buffer.Length, size - _position);
        if (asked == 0)
        {
            return 0;
        }

        var read = inner.Read(buffer[..asked]);
        if (read == 0)
        {
            throw new EndOfStreamException($"the member's data ends after {_position} of {size} bytes");
        }

        _hash.AppendData(buffer[..read]);
        _position += read;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => size + offset,
        };
        return target == _position ? _position : throw new NotSupportedException("The member's data reads forward only.");
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
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}
