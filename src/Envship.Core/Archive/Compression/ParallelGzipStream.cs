using System.Buffers;
using System.IO.Compression;

namespace Envship.Core.Archive.Compression;

/// <summary>
/// gzip output on every core: the data is cut into fixed-size blocks and each block becomes a
/// complete gzip member of its own (as <c>pigz --independent</c> does), compressed in parallel and
/// written in order. Concatenated members are one valid gzip stream for <c>gzip -d</c> and
/// <c>tar -xzf</c>, and since the cuts depend on the data's length alone, any number of workers
/// gives the same bytes.
/// </summary>
internal sealed class ParallelGzipStream : Stream
{
    /// <summary>Large enough that restarting deflate's 32 KiB history costs well under 1% of size.</summary>
    internal const int BlockSize = 4 << 20;

    private readonly Stream _output;
    private readonly int _level;
    private readonly int _workers;
    private readonly Queue<Task<ArraySegment<byte>>> _pending = new();
    private byte[] _block = ArrayPool<byte>.Shared.Rent(BlockSize);
    private int _filled;
    private bool _disposed;

    public ParallelGzipStream(Stream output, int level, int workers)
    {
        _output = output;
        _level = level;
        _workers = Math.Max(1, workers);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(BlockSize - _filled, buffer.Length);
            buffer[..take].CopyTo(_block.AsSpan(_filled));
            _filled += take;
            buffer = buffer[take..];
            if (_filled == BlockSize)
            {
                SubmitBlock();
            }
        }
    }

    /// <summary>Writes out finished members only; a partial block stays open, so flushing never moves a cut.</summary>
    public override void Flush() => _output.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _disposed = true;
            try
            {
                if (_filled > 0)
                {
                    SubmitBlock();
                }

                while (_pending.Count > 0)
                {
                    WriteOldest();
                }

                _output.Flush();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(_block);
            }
        }

        base.Dispose(disposing);
    }

    private void SubmitBlock()
    {
        var block = _block;
        var length = _filled;
        _block = ArrayPool<byte>.Shared.Rent(BlockSize);
        _filled = 0;
        if (_workers == 1)
        {
            _output.Write(Compress(block, length, _level));
            return;
        }

        _pending.Enqueue(Task.Run(() => Compress(block, length, _level)));

        // One block queued per worker beyond the one each is compressing keeps every core busy and memory bounded.
        while (_pending.Count > 2 * _workers)
        {
            WriteOldest();
        }
    }

    private void WriteOldest()
    {
        _output.Write(_pending.Dequeue().GetAwaiter().GetResult());
    }

    private static ArraySegment<byte> Compress(byte[] block, int length, int level)
    {
        try
        {
            using var memory = new MemoryStream((length / 2) + 1024);
            using (var gzip = new GZipStream(memory, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true))
            {
                gzip.Write(block, 0, length);
            }

            return new ArraySegment<byte>(memory.GetBuffer(), 0, (int)memory.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }
}
