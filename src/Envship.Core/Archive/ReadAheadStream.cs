using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive;

/// <summary>
/// The archive file's bytes, read on a thread of its own a few MiB ahead of the decompressor, so
/// waiting for the disk overlaps with decompressing and checking members. Holds at most
/// <see cref="ChunksAhead"/> chunks of <see cref="ChunkSize"/> bytes.
/// </summary>
/// <remarks>
/// The archive as a whole is not hashed: every member is checked against the manifest, the
/// manifest against its digest, and every frame against its checksum, so a SHA-256 of the file
/// would verify nothing more, for 0.3 s of CPU per GB. The manifest's digest names the content.
/// </remarks>
internal sealed class ReadAheadStream : Stream
{
    private const int ChunkSize = 1 << 20;
    private const int ChunksAhead = 4;

    private readonly Stream _inner;
    private readonly ReadAheadQueue<Chunk> _chunks;
    private readonly Compression.BufferPool _buffers = new(ChunkSize, ChunksAhead + 2);
    private Chunk? _current;
    private int _offset;
    private bool _ended;
    private bool _disposed;

    public ReadAheadStream(Stream inner)
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
            var buffer = _buffers.Rent(ChunkSize);
            var length = _inner.ReadAtLeast(buffer.AsSpan(0, ChunkSize), ChunkSize, throwOnEndOfStream: false);
            if (length == 0)
            {
                _buffers.Return(buffer);
                return;
            }

            queue.Put(new Chunk(buffer, length, _buffers));
        }
    }

    private sealed record Chunk(byte[] Buffer, int Length, Compression.BufferPool Pool)
    {
        public void Release() => Pool.Return(Buffer);
    }
}
