using System.Text;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive;

/// <summary>
/// A write-through stream that renames the pax extended-header member System.Formats.Tar writes
/// (<c>PaxHeaders.&lt;pid&gt;</c>) to a fixed name, as GNU tar does with
/// <c>--pax-option=exthdr.name=%d/PaxHeaders/%f</c>, so two packs of one prefix are byte-identical.
/// Only the first header block after <see cref="BeginEntry"/> is examined, never file data.
/// </summary>
internal sealed class ReproduciblePaxStream(Stream inner) : Stream
{
    private const int BlockSize = 512;
    private static readonly byte[] FixedName = Encoding.ASCII.GetBytes("./PaxHeaders/.");
    private readonly byte[] _header = new byte[BlockSize];
    private int _headerFill = -1;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public void BeginEntry() => _headerFill = 0;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_headerFill >= 0)
        {
            var take = Math.Min(BlockSize - _headerFill, buffer.Length);
            buffer[..take].CopyTo(_header.AsSpan(_headerFill));
            _headerFill += take;
            buffer = buffer[take..];
            if (_headerFill < BlockSize)
            {
                return;
            }

            _headerFill = -1;
            Normalize(_header);
            inner.Write(_header);
        }

        inner.Write(buffer);
    }

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private static void Normalize(Span<byte> header)
    {
        const int TypeFlagOffset = 156;
        if (header[TypeFlagOffset] != (byte)'x' || header[..100].IndexOf("PaxHeaders."u8) < 0)
        {
            return;
        }

        header[..100].Clear();
        FixedName.CopyTo(header);
        var checksumField = header.Slice(148, 8);
        checksumField.Fill((byte)' ');
        var sum = 0;
        foreach (var b in header)
        {
            sum += b;
        }

        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0'), checksumField);
        checksumField[6] = 0;
        checksumField[7] = (byte)' ';
    }
}
