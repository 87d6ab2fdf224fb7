using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive.Compression;

/// <summary>
/// Compressed output on every core: the data is cut into blocks of a fixed size, each block is
/// compressed on its own (a gzip member, a zstd frame) on the thread pool, and the results are
/// written in order. The cuts depend on the data's length alone, never on timing or on flushes,
/// so any number of workers gives the same bytes. One block more than there are workers is in flight.
/// </summary>
internal abstract class ParallelBlockStream : Stream
{
    private readonly Stream _output;
    private readonly int _blockSize;
    private readonly int _workers;
    private readonly Queue<Task<Compressed>> _pending = new();
    private readonly BufferPool _blocks;
    private byte[] _block;
    private int _filled;
    private bool _disposed;

    protected ParallelBlockStream(Stream output, int blockSize, int workers)
    {
        _output = output;
        _blockSize = blockSize;
        _workers = Math.Max(1, workers);
        _blocks = new BufferPool(blockSize, _workers + 2);
        Outputs = new BufferPool(0, _workers + 2);
        _block = _blocks.Rent(blockSize);
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
            var take = Math.Min(_blockSize - _filled, buffer.Length);
            buffer[..take].CopyTo(_block.AsSpan(_filled));
            _filled += take;
            buffer = buffer[take..];
            if (_filled == _blockSize)
            {
                SubmitBlock();
            }
        }
    }

    /// <summary>Writes out finished blocks only; a partial block stays open, so flushing never moves a cut.</summary>
    public override void Flush() => _output.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Where <see cref="CompressBlock"/> takes its output buffers from; they come back once written.</summary>
    protected BufferPool Outputs { get; }

    /// <summary>
    /// Compresses one block into a buffer from <see cref="Outputs"/>; runs on pool threads, any
    /// number at a time. Returns the buffer and how many of its bytes are the output.
    /// </summary>
    protected abstract (byte[] Buffer, int Length) CompressBlock(ReadOnlySpan<byte> block);

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
                // After a failed write, blocks may still be compressing: they end before their
                // buffers go back and before a subclass frees what they compress with.
                while (_pending.TryDequeue(out var left))
                {
                    try
                    {
                        Outputs.Return(left.GetAwaiter().GetResult().Buffer);
                    }
                    catch (Exception ex) when (ex is InvalidDataException or InsufficientMemoryException)
                    {
                    }
                }

                _blocks.Return(_block);
            }
        }

        base.Dispose(disposing);
    }

    private void SubmitBlock()
    {
        var block = _block;
        var length = _filled;
        _block = _blocks.Rent(_blockSize);
        _filled = 0;
        if (_workers == 1)
        {
            WriteOut(Run(block, length));
            return;
        }

        _pending.Enqueue(Task.Run(() => Run(block, length)));
        while (_pending.Count > _workers + 1)
        {
            WriteOldest();
        }
    }

    private void WriteOldest() => WriteOut(_pending.Dequeue().GetAwaiter().GetResult());

    private void WriteOut(Compressed compressed)
    {
        try
        {
            _output.Write(compressed.Buffer, 0, compressed.Length);
        }
        finally
        {
            Outputs.Return(compressed.Buffer);
        }
    }

    private Compressed Run(byte[] block, int length)
    {
        try
        {
            var (buffer, written) = CompressBlock(block.AsSpan(0, length));
            return new Compressed(buffer, written);
        }
        finally
        {
            _blocks.Return(block);
        }
    }

    private readonly record struct Compressed(byte[] Buffer, int Length);
}
