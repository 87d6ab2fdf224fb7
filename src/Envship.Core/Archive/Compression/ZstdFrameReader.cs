using System.Buffers.Binary;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive.Compression;

internal enum ZstdFrameKind
{
    /// <summary>The input ended between frames.</summary>
    End,

    /// <summary>A frame read whole into a buffer of its own, with its content size.</summary>
    Whole,

    /// <summary>A frame with no content size, or one too large to hold: it must be decoded as it streams.</summary>
    Streamed,
}

internal readonly record struct ZstdFrame(ZstdFrameKind Kind, byte[]? Buffer = null, int Length = 0, int ContentSize = 0);

/// <summary>
/// Cuts a zstd stream at frame boundaries by reading frame and block headers (RFC 8878), without
/// decompressing. A whole frame is read straight into a buffer of its own; the few bytes read past
/// its end are carried into the next one. Skippable frames are passed over.
/// </summary>
internal sealed class ZstdFrameReader(Stream input, BufferPool frames, int maxContentSize)
{
    private const uint FrameMagic = 0xFD2FB528;
    private const uint SkippableMagicMask = 0xFFFFFFF0;
    private const uint SkippableMagic = 0x184D2A50;
    private const int BlockHeaderSize = 3;
    private const int CarrySize = 1 << 17;

    // Bytes read from the input but not yet part of a frame: headers, and what a read brought past a frame's end.
    private byte[] _carry = GC.AllocateUninitializedArray<byte>(CarrySize);
    private int _start;
    private int _end;
    private bool _ended;

    /// <summary>Where whole frames are read into; each goes back once decompressed.</summary>
    public BufferPool Frames => frames;

    /// <summary>The next frame; a <see cref="ZstdFrameKind.Streamed"/> one is left unread for <see cref="DecodeStreamed"/>.</summary>
    public ZstdFrame Next()
    {
        while (true)
        {
            if (!Fill(4))
            {
                return _end > _start ? throw Truncated() : new ZstdFrame(ZstdFrameKind.End);
            }

            var magic = BinaryPrimitives.ReadUInt32LittleEndian(_carry.AsSpan(_start));
            if ((magic & SkippableMagicMask) == SkippableMagic)
            {
                Skip();
                continue;
            }

            return magic == FrameMagic ? Frame() : throw new InvalidDataException("zstd decompression: Unknown frame descriptor");
        }
    }

    /// <summary>
    /// Decodes some of a streamed frame straight from the carried input into <paramref name="output"/>;
    /// libzstd stops at the frame's end, so whatever follows it stays carried.
    /// </summary>
    public unsafe int DecodeStreamed(nint context, Span<byte> output, out bool frameEnded)
    {
        while (true)
        {
            if (_start == _end)
            {
                Fill(1);
            }

            fixed (byte* source = _carry)
            fixed (byte* target = output)
            {
                var into = new LibZstd.Buffer { Pointer = (nint)target, Size = (nuint)output.Length };
                var from = new LibZstd.Buffer { Pointer = (nint)source, Size = (nuint)_end, Position = (nuint)_start };
                var hint = LibZstd.Check(LibZstd.DecompressStream(context, ref into, ref from), "decompression");
                _start = (int)from.Position;
                frameEnded = hint == 0;
                if (into.Position > 0 || frameEnded)
                {
                    return (int)into.Position;
                }

                // Nothing came out and nothing is left to go in: the frame was cut short.
                if (_start == _end && _ended)
                {
                    throw Truncated();
                }
            }
        }
    }

    private ZstdFrame Frame()
    {
        if (!Fill(6))
        {
            throw Truncated();
        }

        var descriptor = _carry[_start + 4];
        var singleSegment = (descriptor & 0x20) != 0;
        var hasChecksum = (descriptor & 0x04) != 0;
        var dictionaryField = descriptor & 0x03;
        var contentSizeBytes = (descriptor >> 6) switch { 0 => singleSegment ? 1 : 0, 1 => 2, 2 => 4, _ => 8 };
        var headerSize = 5 + (singleSegment ? 0 : 1) + (dictionaryField == 3 ? 4 : dictionaryField) + contentSizeBytes;
        if (contentSizeBytes == 0)
        {
            return new ZstdFrame(ZstdFrameKind.Streamed);
        }

        if (!Fill(headerSize))
        {
            throw Truncated();
        }

        var field = _carry.AsSpan(_start + headerSize - contentSizeBytes, contentSizeBytes);
        var contentSize = contentSizeBytes switch
        {
            1 => field[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(field) + 256L,
            4 => BinaryPrimitives.ReadUInt32LittleEndian(field),
            _ => (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(field), long.MaxValue),
        };
        return contentSize > maxContentSize ? new ZstdFrame(ZstdFrameKind.Streamed) : ReadWhole(headerSize, (int)contentSize, hasChecksum);
    }

    private ZstdFrame ReadWhole(int headerSize, int contentSize, bool hasChecksum)
    {
        // A frame's compressed bytes exceed its content by block headers at most; more is damage,
        // and reading it whole could grow without bound.
        var limit = contentSize + (contentSize >> 7) + 1024;
        var filled = _end - _start;
        var frame = frames.Rent(filled);
        _carry.AsSpan(_start, filled).CopyTo(frame);
        _start = _end;
        try
        {
            var length = headerSize;
            while (true)
            {
                Need(ref frame, ref filled, length + BlockHeaderSize);
                var header = frame[length] | (frame[length + 1] << 8) | (frame[length + 2] << 16);
                length += BlockHeaderSize + (((header >> 1) & 3) == 1 ? 1 : header >> 3);
                if (length > limit)
                {
                    throw new InvalidDataException("zstd decompression: a frame is larger than its declared content allows");
                }

                if ((header & 1) != 0)
                {
                    break;
                }
            }

            length += hasChecksum ? 4 : 0;
            Need(ref frame, ref filled, length);

            // What the last read brought past the frame belongs to the next one.
            Carry(frame.AsSpan(length, filled - length));
            var whole = new ZstdFrame(ZstdFrameKind.Whole, frame, length, contentSize);
            frame = null;
            return whole;
        }
        finally
        {
            if (frame is not null)
            {
                frames.Return(frame);
            }
        }
    }

    /// <summary>Reads into <paramref name="frame"/> until it holds <paramref name="count"/> bytes, growing it if it must.</summary>
    private void Need(ref byte[] frame, ref int filled, int count)
    {
        if (count > frame.Length)
        {
            var larger = frames.Rent(count + (count >> 2));
            frame.AsSpan(0, filled).CopyTo(larger);
            frames.Return(frame);
            frame = larger;
        }

        while (filled < count)
        {
            var read = _ended ? 0 : input.Read(frame, filled, frame.Length - filled);
            if (read == 0)
            {
                _ended = true;
                throw Truncated();
            }

            filled += read;
        }
    }

    private void Carry(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > _carry.Length)
        {
            _carry = GC.AllocateUninitializedArray<byte>(bytes.Length);
        }

        bytes.CopyTo(_carry);
        _start = 0;
        _end = bytes.Length;
    }

    private void Skip()
    {
        if (!Fill(8))
        {
            throw Truncated();
        }

        long remaining = BinaryPrimitives.ReadUInt32LittleEndian(_carry.AsSpan(_start + 4)) + 8L;
        while (remaining > 0)
        {
            if (_start == _end && !Fill(1))
            {
                throw Truncated();
            }

            var take = (int)Math.Min(remaining, _end - _start);
            _start += take;
            remaining -= take;
        }
    }

    /// <summary>Makes at least <paramref name="count"/> carried bytes available; false if the input ends first.</summary>
    private bool Fill(int count)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (_start > 0)
        {
            _carry.AsSpan(_start, _end - _start).CopyTo(_carry);
            _end -= _start;
            _start = 0;
        }

        while (_end < count && !_ended)
        {
            var read = input.Read(_carry, _end, _carry.Length - _end);
            _ended = read == 0;
            _end += read;
        }

        return _end >= count;
    }

    private static EndOfStreamException Truncated() => new("the zstd stream ends inside a frame (the archive is truncated)");
}
