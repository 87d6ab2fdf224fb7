using System.Buffers;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive.Tar;

/// <summary>
/// Reads ustar, pax and GNU tar headers one member at a time, refusing whatever could make envship
/// and another reader see different members: a wrong checksum, a pax name or link target that
/// disagrees with the ustar field, a pax size that would move the next header, names that are not
/// UTF-8, GNU long-name and global headers, data after the end-of-archive blocks. Memory stays
/// bounded: the header buffer is reused, a pax header over <see cref="MaxPaxHeaderBytes"/> is
/// refused before it is read, and member data streams straight from the input.
/// </summary>
internal sealed class StrictTarReader(Stream input) : IDisposable
{
    /// <summary>envship writes a few hundred bytes of pax records; GNU tar and System.Formats.Tar a few KiB at most.</summary>
    public const int MaxPaxHeaderBytes = 1 << 20;

    private const int MaxNameBytes = TarHeaderParser.NameField + 1 + 155;
    private const int BlockSize = TarHeaderParser.BlockSize;

    private readonly byte[] _header = new byte[BlockSize];
    private readonly byte[] _name = new byte[MaxNameBytes];
    private readonly PaxRecords _pax = new();
    private readonly TarDataStream _data = new(input);
    private byte[]? _paxBuffer;
    private long _padding;
    private bool _ended;

    /// <summary>Every byte taken from the input: how far a refusal read before it stopped.</summary>
    public long BytesConsumed => _data.BytesConsumed;

    public string Name { get; private set; } = "";

    /// <summary>The ustar typeflag: '0' or NUL for a file, '1' hard link, '2' symlink, '5' directory, and so on.</summary>
    public byte TypeFlag { get; private set; }
    public long Size { get; private set; }
    public string? LinkName { get; private set; }

    /// <summary>The pax <c>comment</c> record, where the manifest carries its digest.</summary>
    public string? Comment { get; private set; }

    /// <summary>The member's data; valid until the next <see cref="MoveNext"/>.</summary>
    public Stream Data => _data;

    /// <summary>Reads the next member's headers; false at the end-of-archive blocks.</summary>
    public bool MoveNext()
    {
        if (_ended)
        {
            return false;
        }

        SkipRestOfMember();
        if (!ReadHeader(allowEnd: true))
        {
            _ended = true;
            return false;
        }

        _pax.Clear();
        var hasPax = false;
        var size = TarHeaderParser.Check(_header);
        var type = TarHeaderParser.TypeFlag(_header);
        switch (type)
        {
            case (byte)'x':
                ReadPax(size);
                hasPax = true;
                if (!ReadHeader(allowEnd: false))
                {
                    throw new TarFormatException("has a pax header followed by the end of the archive", tampered: true);
                }

                size = TarHeaderParser.Check(_header);
                type = TarHeaderParser.TypeFlag(_header);
                if (type is (byte)'x' or (byte)'g')
                {
                    throw new TarFormatException("has two pax headers in a row", tampered: true);
                }

                break;
            case (byte)'g':
                throw new TarFormatException("has a pax global header, which would change every member after it; envship never writes one", tampered: true);
            default:
                break;
        }

        TypeFlag = type;
        Name = ResolveName();
        LinkName = ResolveLinkName();
        Size = ResolveSize(size, hasPax);
        Comment = _pax.Comment;
        CheckShape();
        _data.Start(Size);
        _padding = (BlockSize - (Size % BlockSize)) % BlockSize;
        return true;
    }

    /// <summary>
    /// After the end-of-archive blocks only zeros may follow (GNU tar pads to 10 KiB records); anything
    /// else is data no tar reader would extract, so it is refused rather than ignored.
    /// </summary>
    public void ReadTrailer()
    {
        while (MoveNext())
        {
        }

        var buffer = ArrayPool<byte>.Shared.Rent(64 << 10);
        try
        {
            int read;
            while ((read = _data.ReadRaw(buffer)) > 0)
            {
                if (buffer.AsSpan(0, read).ContainsAnyExcept((byte)0))
                {
                    throw new TarFormatException("is followed by data after the tar's end-of-archive blocks, which no tar reader extracts", tampered: true);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose()
    {
        if (_paxBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_paxBuffer);
            _paxBuffer = null;
        }
    }

    private void SkipRestOfMember()
    {
        _data.SkipRemaining();
        _data.SkipRaw(_padding);
        _padding = 0;
    }

    /// <summary>Reads a header block; a zero block must be followed by a second one, which ends the archive.</summary>
    private bool ReadHeader(bool allowEnd)
    {
        _data.ReadBlock(_header, "a tar header");
        if (!TarHeaderParser.IsZeroBlock(_header))
        {
            return true;
        }

        if (!allowEnd)
        {
            return false;
        }

        _data.ReadBlock(_header, "tar's second end-of-archive block");
        if (!TarHeaderParser.IsZeroBlock(_header))
        {
            throw new TarFormatException("is followed by a lone zero block and then more headers: the archive is damaged", tampered: false);
        }

        return false;
    }

    private void ReadPax(long size)
    {
        if (size > MaxPaxHeaderBytes)
        {
            throw new TarFormatException($"has a pax header of {size} bytes; envship accepts at most {MaxPaxHeaderBytes} (it writes a few hundred)", tampered: true);
        }

        var length = (int)size;
        if (_paxBuffer is null || _paxBuffer.Length < length)
        {
            if (_paxBuffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_paxBuffer);
            }

            _paxBuffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 4096));
        }

        _data.ReadExactlyRaw(_paxBuffer.AsSpan(0, length), "a pax header");
        _data.SkipRaw((BlockSize - (length % BlockSize)) % BlockSize);
        _pax.Parse(_paxBuffer.AsSpan(0, length));
    }

    /// <summary>
    /// The pax path wins, as for every pax reader, but only when the ustar name is the same bytes or
    /// their start cut at a full field: otherwise a reader that ignores pax would see another member.
    /// </summary>
    private string ResolveName()
    {
        var length = TarHeaderParser.RawName(_header, _name);
        ReadOnlySpan<byte> ustar = _name.AsSpan(0, length);
        if (_pax.Path is not { } path)
        {
            return TarHeaderParser.Utf8(ustar, "name");
        }

        var pax = TarHeaderParser.Utf8(path, "name");
        if (!ustar.SequenceEqual(path) && !(TarHeaderParser.NameFieldIsFull(_header) && path.AsSpan().StartsWith(ustar)))
        {
            throw new TarFormatException(
                $"has a pax path that differs from its ustar name '{TarHeaderParser.Escaped(ustar)}', so readers that ignore pax would see another member",
                tampered: true,
                member: pax);
        }

        return pax;
    }

    private string? ResolveLinkName()
    {
        var ustar = TarHeaderParser.RawLinkName(_header);
        if (_pax.LinkPath is not { } path)
        {
            return ustar.IsEmpty ? null : TarHeaderParser.Utf8(ustar, "link target");
        }

        var pax = TarHeaderParser.Utf8(path, "link target");
        if (!ustar.SequenceEqual(path) && !(TarHeaderParser.LinkNameFieldIsFull(_header) && path.AsSpan().StartsWith(ustar)))
        {
            throw new TarFormatException(
                $"has a pax link target '{pax}' that differs from its ustar link target '{TarHeaderParser.Escaped(ustar)}', so readers that ignore pax would see another link",
                tampered: true,
                member: Name);
        }

        return pax;
    }

    /// <summary>
    /// A pax size replaces the ustar one; where the ustar field could hold it (under 8 GiB) the two
    /// must agree, or a reader that ignores pax would look for the next header elsewhere.
    /// </summary>
    private long ResolveSize(long ustar, bool hasPax)
    {
        if (!hasPax || _pax.Size is not { } pax)
        {
            return ustar;
        }

        if (pax != ustar && pax < (1L << 33))
        {
            throw new TarFormatException($"has a pax size of {pax} bytes but a ustar size of {ustar}, so readers that ignore pax would find other members after it", tampered: true, member: Name);
        }

        return pax;
    }

    /// <summary>Only regular files carry data, and only directories end in a slash: GNU tar reads anything else its own way.</summary>
    private void CheckShape()
    {
        var isFile = TypeFlag is (byte)'0' or 0 or (byte)'7';
        if (!isFile && Size != 0 && TypeFlag is (byte)'1' or (byte)'2' or (byte)'5' or (byte)'3' or (byte)'4' or (byte)'6')
        {
            throw new TarFormatException($"is a link, directory or special file that declares {Size} bytes of data", tampered: true, member: Name);
        }

        if (TypeFlag != (byte)'5' && Name.Length > 1 && Name.EndsWith('/'))
        {
            throw new TarFormatException("ends in '/' but is not a directory", tampered: true, member: Name);
        }

        if (TypeFlag is (byte)'L' or (byte)'K')
        {
            throw new TarFormatException("is a GNU long-name header ('L' or 'K'), which envship never writes (it uses pax)", tampered: true, member: Name);
        }
    }
}
