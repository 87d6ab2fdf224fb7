using System.Buffers;
using Envship.Core.Platform;

namespace Envship.Core.Archive.Compression;

/// <summary>Compresses what is written to it into one zstd frame through libzstd, and ends the frame when disposed.</summary>
internal sealed unsafe class NativeZstdCompressionStream : Stream
{
    private const int OutputSize = WriteSize.Max;
    private const int JobSize = 2 << 20;
    private readonly Stream _output;
    private readonly bool _leaveOpen;
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(OutputSize);
    private nint _context;

    /// <param name="workers">
    /// Worker threads; 1 or more all give the same bytes (libzstd cuts jobs by size, not by timing),
    /// so the thread count never changes the archive.
    /// </param>
    public NativeZstdCompressionStream(Stream output, int level, int workers, bool leaveOpen)
    {
        _output = output;
        _leaveOpen = leaveOpen;
        _context = LibZstd.CreateCCtx();
        if (_context == 0)
        {
            throw new InsufficientMemoryException("libzstd could not allocate a compression context.");
        }

        LibZstd.Check(LibZstd.SetParameter(_context, LibZstd.CompressionParameter.CompressionLevel, level), "level");
        LibZstd.Check(LibZstd.SetParameter(_context, LibZstd.CompressionParameter.ChecksumFlag, 1), "checksum");

        // A libzstd built without threads refuses workers; it then compresses on the calling thread, to the same format.
        _ = LibZstd.SetParameter(_context, LibZstd.CompressionParameter.NbWorkers, Math.Max(1, workers));

        // libzstd's default job at level 3 is 8 MiB, buffered per worker twice over; 2 MiB jobs took
        // peak RSS from 229 to 176 MB on the 1 GB benchmark for 0.3% more bytes. Fixed, so -j never changes the output.
        _ = LibZstd.SetParameter(_context, LibZstd.CompressionParameter.JobSize, JobSize);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_context == 0, this);
        fixed (byte* source = buffer)
        {
            var input = new LibZstd.Buffer { Pointer = (nint)source, Size = (nuint)buffer.Length };
            while (input.Position < input.Size)
            {
                Compress(ref input, LibZstd.EndDirective.Continue);
            }
        }
    }

    public override void Flush() => _output.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (_context != 0)
        {
            try
            {
                if (disposing)
                {
                    var input = default(LibZstd.Buffer);
                    while (Compress(ref input, LibZstd.EndDirective.End) != 0)
                    {
                    }

                    _output.Flush();
                    if (!_leaveOpen)
                    {
                        _output.Dispose();
                    }
                }
            }
            finally
            {
                LibZstd.FreeCCtx(_context);
                _context = 0;
                ArrayPool<byte>.Shared.Return(_buffer);
            }
        }

        base.Dispose(disposing);
    }

    private nuint Compress(ref LibZstd.Buffer input, LibZstd.EndDirective end)
    {
        fixed (byte* target = _buffer)
        {
            var output = new LibZstd.Buffer { Pointer = (nint)target, Size = OutputSize };
            var remaining = LibZstd.Check(LibZstd.CompressStream2(_context, ref output, ref input, end), "compression");
            if (output.Position > 0)
            {
                _output.Write(_buffer, 0, (int)output.Position);
            }

            return remaining;
        }
    }
}

/// <summary>
/// Decompresses a stream of zstd frames (skippable frames are passed over) through libzstd.
/// Input that ends inside a frame is damage, not a short archive.
/// </summary>
internal sealed unsafe class NativeZstdDecompressionStream : Stream
{
    private const int InputSize = 1 << 17;
    private readonly Stream _input;
    private readonly bool _leaveOpen;
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(InputSize);
    private nint _context;
    private int _filled;
    private int _consumed;
    private bool _frameOpen;
    private bool _inputEnded;

    public NativeZstdDecompressionStream(Stream input, bool leaveOpen)
    {
        _input = input;
        _leaveOpen = leaveOpen;
        _context = LibZstd.CreateDCtx();
        if (_context == 0)
        {
            throw new InsufficientMemoryException("libzstd could not allocate a decompression context.");
        }
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_context == 0, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            if (_consumed == _filled && !_inputEnded)
            {
                _filled = _input.Read(_buffer, 0, InputSize);
                _consumed = 0;
                _inputEnded = _filled == 0;
            }

            if (_consumed == _filled && _inputEnded)
            {
                return _frameOpen ? throw new EndOfStreamException("the zstd stream ends inside a frame (the archive is truncated)") : 0;
            }

            fixed (byte* source = _buffer)
            fixed (byte* target = buffer)
            {
                var input = new LibZstd.Buffer { Pointer = (nint)source, Size = (nuint)_filled, Position = (nuint)_consumed };
                var output = new LibZstd.Buffer { Pointer = (nint)target, Size = (nuint)buffer.Length };
                var hint = LibZstd.Check(LibZstd.DecompressStream(_context, ref output, ref input), "decompression");
                _consumed = (int)input.Position;
                _frameOpen = hint != 0;
                if (output.Position > 0)
                {
                    return (int)output.Position;
                }
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
        if (_context != 0)
        {
            LibZstd.FreeDCtx(_context);
            _context = 0;
            ArrayPool<byte>.Shared.Return(_buffer);
            if (disposing && !_leaveOpen)
            {
                _input.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
