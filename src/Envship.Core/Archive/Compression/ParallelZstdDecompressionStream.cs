using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive.Compression;

/// <summary>
/// Decompresses a stream of zstd frames on several cores, in order. Frames that declare a content
/// size of at most <see cref="MaxParallelFrame"/> (every frame <see cref="ParallelZstdStream"/>
/// writes) are read whole and decompressed on the thread pool, a few ahead of the reader; any
/// other frame (from another zstd, or an older pack's single frame) is decompressed as it streams,
/// once the frames before it are done. Skippable frames are passed over. Input that ends inside a
/// frame is damage, not a short archive.
/// </summary>
internal sealed class ParallelZstdDecompressionStream : Stream
{
    /// <summary>Bounds the memory a hostile frame header can make a worker allocate.</summary>
    internal const int MaxParallelFrame = 32 << 20;

    private readonly ZstdFrameReader _input;
    private readonly Stream _source;
    private readonly bool _leaveOpen;
    private readonly int _ahead;
    private readonly Queue<Task<Decompressed>> _frames = new();
    private readonly System.Collections.Concurrent.ConcurrentBag<nint> _contexts = [];
    private readonly BufferPool _outputs;
    private Decompressed? _current;
    private int _offset;
    private nint _streaming;
    private bool _inputEnded;
    private bool _disposed;

    public ParallelZstdDecompressionStream(Stream input, int workers, bool leaveOpen = true)
    {
        // One frame per worker in flight: deploy's other threads keep the cores busy, and each frame more is 8 MiB.
        _ahead = Math.Max(1, workers);
        _input = new ZstdFrameReader(input, new BufferPool(ParallelZstdStream.FrameSize + (ParallelZstdStream.FrameSize >> 7) + 1024, _ahead + 1), MaxParallelFrame);
        _outputs = new BufferPool(ParallelZstdStream.FrameSize, _ahead + 1);
        _leaveOpen = leaveOpen;
        _source = input;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            if (_current is { } frame && _offset < frame.Length)
            {
                var take = Math.Min(buffer.Length, frame.Length - _offset);
                frame.Buffer.AsSpan(_offset, take).CopyTo(buffer);
                _offset += take;
                return take;
            }

            if (_streaming != 0)
            {
                var read = _input.DecodeStreamed(_streaming, buffer, out var frameEnded);
                if (frameEnded)
                {
                    LibZstd.FreeDCtx(_streaming);
                    _streaming = 0;
                }

                if (read > 0)
                {
                    return read;
                }

                continue;
            }

            ReleaseCurrent();
            Submit();
            if (_frames.Count > 0)
            {
                _current = _frames.Dequeue().GetAwaiter().GetResult();
                _offset = 0;
                continue;
            }

            if (_inputEnded)
            {
                return 0;
            }

            // The next frame cannot be read whole: the frames before it are all consumed, so it streams now.
            _streaming = LibZstd.CreateDCtx();
            if (_streaming == 0)
            {
                throw new InsufficientMemoryException("libzstd could not allocate a decompression context.");
            }
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _disposed = true;
            ReleaseCurrent();
            while (_frames.TryDequeue(out var left))
            {
                try
                {
                    _outputs.Return(left.GetAwaiter().GetResult().Buffer);
                }
                catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException or InsufficientMemoryException)
                {
                    // The frame was damaged; the reader stopped before it, so nobody is told twice.
                }
            }

            if (_streaming != 0)
            {
                LibZstd.FreeDCtx(_streaming);
                _streaming = 0;
            }

            if (!_leaveOpen)
            {
                _source.Dispose();
            }

            while (_contexts.TryTake(out var context))
            {
                LibZstd.FreeDCtx(context);
            }
        }

        base.Dispose(disposing);
    }

    private void ReleaseCurrent()
    {
        if (_current is { } done)
        {
            _outputs.Return(done.Buffer);
        }

        _current = null;
    }

    /// <summary>Reads whole frames ahead and starts them, until enough are in flight or one must stream.</summary>
    private void Submit()
    {
        while (_frames.Count < _ahead && !_inputEnded && _streaming == 0)
        {
            ZstdFrame next;
            try
            {
                next = _input.Next();
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException)
            {
                // Damage found while reading ahead reaches the reader only after the frames before it,
                // so what is intact (a manifest, for inspect) still reads, and errors name the right member.
                _frames.Enqueue(Task.FromException<Decompressed>(ex));
                _inputEnded = true;
                return;
            }

            switch (next.Kind)
            {
                case ZstdFrameKind.End:
                    _inputEnded = true;
                    return;
                case ZstdFrameKind.Whole:
                    var (compressed, length, contentSize) = (next.Buffer!, next.Length, next.ContentSize);
                    _frames.Enqueue(Task.Run(() => Decompress(compressed, length, contentSize)));
                    break;
                default:
                    return;
            }
        }
    }

    private unsafe Decompressed Decompress(byte[] compressed, int length, int contentSize)
    {
        var context = _contexts.TryTake(out var free) ? free : LibZstd.CreateDCtx();
        var output = _outputs.Rent(Math.Max(1, contentSize));
        try
        {
            if (context == 0)
            {
                throw new InsufficientMemoryException("libzstd could not allocate a decompression context.");
            }

            fixed (byte* source = compressed)
            fixed (byte* target = output)
            {
                var written = LibZstd.Check(LibZstd.DecompressDCtx(context, (nint)target, (nuint)contentSize, (nint)source, (nuint)length), "decompression");
                if ((int)written != contentSize)
                {
                    throw new InvalidDataException($"zstd decompression: a frame declares {contentSize} bytes but holds {written}");
                }
            }

            var result = new Decompressed(output, contentSize);
            output = null;
            return result;
        }
        finally
        {
            _input.Frames.Return(compressed);
            if (output is not null)
            {
                _outputs.Return(output);
            }

            if (context != 0)
            {
                _contexts.Add(context);
            }
        }
    }

    private sealed record Decompressed(byte[] Buffer, int Length);
}
