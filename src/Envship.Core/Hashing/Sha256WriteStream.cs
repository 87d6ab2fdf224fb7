namespace Envship.Core.Hashing;

/// <summary>Writes through to <c>inner</c> and hashes the bytes on the way; <see cref="Hash"/> is their SHA-256 once the writing is done.</summary>
internal sealed class Sha256WriteStream(Stream inner, bool leaveOpen = false) : Stream
{
    private readonly Sha256Hasher _hasher = Sha256.CreateHasher();
    private byte[]? _final;

    /// <summary>The hash of the bytes written so far; still readable once the stream is disposed (a wrapper may dispose it).</summary>
    public byte[] Hash => _final ?? _hasher.GetCurrentHash();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        _hasher.AppendData(buffer);
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && _final is null)
        {
            _final = _hasher.GetHashAndReset();
            _hasher.Dispose();
            if (!leaveOpen)
            {
                inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
