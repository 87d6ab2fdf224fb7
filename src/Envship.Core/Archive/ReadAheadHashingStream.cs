using System.Buffers;
using System.Security.Cryptography;

namespace Envship.Core.Archive;

/// <summary>
/// The archive file's bytes, read and hashed (the receipt's archive SHA-256) on a thread of its
/// own a few MiB ahead of the decompressor, so the thread that decompresses and checks members
/// does neither. Holds at most <see cref="ChunksAhead"/> chunks of <see cref="ChunkSize"/> bytes.
/// </summary>
internal sealed class ReadAheadHashingStream : Stream
{
    private const int ChunkSize = 1 << 20;
    private const int ChunksAhead = 8;

    private readonly Stream _inner;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly ReadAheadQueue<Chunk> _chunks;
    private Chunk? _current;
    private int _offset;
    private bool _ended;
    private bool _disposed;

    public ReadAheadHashingStream(Stream inner)
    {
        _inner = inner;
        _chunks = new ReadAheadQueue<Chunk>("envship archive read-ahead", ChunksAhead, ReadAhead, chunk => chunk.Release());
    }

    public long BytesRead { get; private set; }
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _inner.Length;
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    /// <summary>The SHA-256 of every byte of the file; call once all of it was read.</summary>
    public string HashHex()
    {
        _chunks.Join();
        return Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (!_ended && (_current is null || _offset == _current.Length))
        {
            Release();
            _current = _chunks.Take();
            _offset = 0;
            _ended = _current is null;
        }

        if (_ended || buffer.IsEmpty)
        {
            return 0;
        }

        var take = Math.Min(buffer.Length, _current!.Length - _offset);
        _current.Buffer.AsSpan(_offset, take).CopyTo(buffer);
        _offset += take;
        BytesRead += take;
        return take;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _chunks.Dispose();
            Release();
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Release()
    {
        _current?.Release();
        _current = null;
    }

    private void ReadAhead(ReadAheadQueue<Chunk> queue)
    {
        while (true)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
            var length = _inner.ReadAtLeast(buffer.AsSpan(0, ChunkSize), ChunkSize, throwOnEndOfStream: false);
            if (length == 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                return;
            }

            _hash.AppendData(buffer.AsSpan(0, length));
            queue.Put(new Chunk(buffer, length));
        }
    }

    private sealed record Chunk(byte[] Buffer, int Length)
    {
        public void Release() => ArrayPool<byte>.Shared.Return(Buffer);
    }
}
