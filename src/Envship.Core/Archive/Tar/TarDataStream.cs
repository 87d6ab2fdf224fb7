using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive.Tar;

/// <summary>
/// The one stream over the tar bytes: a member's data (read-only, ending at its size) and, for the
/// reader, the headers and padding around it. Every byte is counted; the input ending early is truncation.
/// </summary>
internal sealed class TarDataStream(Stream input) : Stream
{
    private long _remaining;

    /// <summary>Where skipped data and padding go: one buffer for the reader's life, not one per member.</summary>
    private byte[]? _scratch;

    public long BytesConsumed { get; private set; }
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public void Start(long size) => _remaining = size;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_remaining == 0 || buffer.IsEmpty)
        {
            return 0;
        }

        var read = input.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
        if (read == 0)
        {
            throw new EndOfStreamException($"the archive ends {_remaining} bytes before the end of this member's data: it is truncated");
        }

        _remaining -= read;
        BytesConsumed += read;
        return read;
    }

    public void SkipRemaining()
    {
        SkipRaw(_remaining);
        _remaining = 0;
    }

    public void ReadBlock(Span<byte> block, string what) => ReadExactlyRaw(block, what);

    public void ReadExactlyRaw(Span<byte> destination, string what)
    {
        var read = input.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        BytesConsumed += read;
        if (read < destination.Length)
        {
            throw new TarFormatException($"ends inside {what} or before tar's end-of-archive blocks: the archive is truncated", tampered: false);
        }
    }

    public void SkipRaw(long count)
    {
        if (count <= 0)
        {
            return;
        }

        _scratch ??= new byte[64 << 10];
        while (count > 0)
        {
            var chunk = (int)Math.Min(count, _scratch.Length);
            ReadExactlyRaw(_scratch.AsSpan(0, chunk), "a member's data");
            count -= chunk;
        }
    }

    /// <summary>Whatever the input still holds, for the check after the end-of-archive blocks.</summary>
    public int ReadRaw(Span<byte> buffer)
    {
        var read = input.Read(buffer);
        BytesConsumed += read;
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
