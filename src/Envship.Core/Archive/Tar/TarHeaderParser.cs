using System.Text;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive.Tar;

/// <summary>
/// The fields of one 512-byte ustar header, read from the bytes with every check a hostile archive
/// calls for: the checksum, the magic, numbers that overflow or go negative. Names stay raw bytes
/// here; <see cref="StrictTarReader"/> decides whether the pax header or the ustar field names the member.
/// </summary>
internal static class TarHeaderParser
{
    public const int BlockSize = 512;

    public const int NameField = 100;
    public const int LinkNameField = 100;
    private const int NameOffset = 0;
    private const int ModeOffset = 100;
    private const int UidOffset = 108;
    private const int GidOffset = 116;
    private const int SizeOffset = 124;
    private const int MtimeOffset = 136;
    private const int ChecksumOffset = 148;
    private const int ChecksumLength = 8;
    public const int TypeFlagOffset = 156;
    private const int LinkNameOffset = 157;
    private const int MagicOffset = 257;
    private const int PrefixOffset = 345;
    private const int PrefixField = 155;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool IsZeroBlock(ReadOnlySpan<byte> block) => !block.ContainsAnyExcept((byte)0);

    /// <summary>
    /// Refuses a header whose checksum, magic or numeric fields are not what a ustar, pax or GNU writer
    /// produces, and returns its data size (before any pax <c>size</c>).
    /// </summary>
    public static long Check(ReadOnlySpan<byte> header)
    {
        var stored = ParseNumber(header.Slice(ChecksumOffset, ChecksumLength), "checksum", required: true);
        var (unsigned, signed) = Sums(header);
        if (stored != unsigned && stored != signed)
        {
            throw new TarFormatException($"has a tar header whose checksum is wrong (it stores {stored}, the header sums to {unsigned}): the header is damaged", tampered: false);
        }

        if (!IsPosixMagic(header) && !IsGnuMagic(header))
        {
            throw new TarFormatException("has a tar header without the ustar magic ('ustar\\0' '00' or GNU's 'ustar  \\0'): not a ustar, pax or GNU tar header", tampered: true);
        }

        ParseNumber(header.Slice(ModeOffset, 8), "mode", required: false);
        ParseNumber(header.Slice(UidOffset, 8), "uid", required: false);
        ParseNumber(header.Slice(GidOffset, 8), "gid", required: false);
        ParseNumber(header.Slice(MtimeOffset, 12), "mtime", required: false, negativeAllowed: true);
        return ParseNumber(header.Slice(SizeOffset, 12), "size", required: true);
    }

    public static byte TypeFlag(ReadOnlySpan<byte> header) => header[TypeFlagOffset];

    /// <summary>The name as a ustar reader sees it: the prefix, a slash and the name, or the name alone (GNU headers have no prefix).</summary>
    public static int RawName(ReadOnlySpan<byte> header, Span<byte> destination)
    {
        var name = Field(header.Slice(NameOffset, NameField));
        var prefix = IsPosixMagic(header) ? Field(header.Slice(PrefixOffset, PrefixField)) : [];
        if (prefix.IsEmpty)
        {
            name.CopyTo(destination);
            return name.Length;
        }

        prefix.CopyTo(destination);
        destination[prefix.Length] = (byte)'/';
        name.CopyTo(destination[(prefix.Length + 1)..]);
        return prefix.Length + 1 + name.Length;
    }

    /// <summary>True when the name field is full and there is no prefix: what writers put there when a pax path does not fit.</summary>
    public static bool NameFieldIsFull(ReadOnlySpan<byte> header) =>
        header.Slice(NameOffset, NameField).IndexOf((byte)0) < 0 && (!IsPosixMagic(header) || header[PrefixOffset] == 0);

    public static ReadOnlySpan<byte> RawLinkName(ReadOnlySpan<byte> header) => Field(header.Slice(LinkNameOffset, LinkNameField));

    public static bool LinkNameFieldIsFull(ReadOnlySpan<byte> header) => header.Slice(LinkNameOffset, LinkNameField).IndexOf((byte)0) < 0;

    /// <summary>Decodes UTF-8 strictly: a name that is not valid UTF-8 would otherwise reach the disk as U+FFFD.</summary>
    public static string Utf8(ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new TarFormatException(
                $"has a {what} that is not valid UTF-8 ('{Escaped(bytes)}'); envship writes every name in UTF-8 and will not write a name other than the archive's",
                tampered: true);
        }
    }

    /// <summary>Printable ASCII as is, every other byte as \xNN: a refused name shown without mangling the terminal.</summary>
    public static string Escaped(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            text.Append(b is >= 0x20 and < 0x7F and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:X2}");
        }

        return text.ToString();
    }

    /// <summary>
    /// An octal field (leading spaces, then digits, then NUL or spaces to the end) or a base-256 one
    /// (high bit of the first byte set), as GNU tar reads them; nothing that overflows a signed 64-bit value.
    /// </summary>
    public static long ParseNumber(ReadOnlySpan<byte> field, string what, bool required, bool negativeAllowed = false)
    {
        if ((field[0] & 0x80) != 0)
        {
            return ParseBase256(field, what, negativeAllowed);
        }

        var i = 0;
        while (i < field.Length && field[i] == (byte)' ')
        {
            i++;
        }

        long value = 0;
        var digits = 0;
        for (; i < field.Length && field[i] is >= (byte)'0' and <= (byte)'7'; i++, digits++)
        {
            if (value > (long.MaxValue >> 3))
            {
                throw BadNumber(field, what);
            }

            value = (value << 3) | (long)(field[i] - '0');
        }

        if ((digits == 0 && required) || field[i..].ContainsAnyExcept((byte)0, (byte)' '))
        {
            throw BadNumber(field, what);
        }

        return value;
    }

    private static long ParseBase256(ReadOnlySpan<byte> field, string what, bool negativeAllowed)
    {
        if ((field[0] & 0x40) != 0)
        {
            if (!negativeAllowed)
            {
                throw new TarFormatException($"has a tar header with a negative {what}", tampered: true);
            }

            return -1;
        }

        long value = field[0] & 0x3F;
        foreach (var b in field[1..])
        {
            if (value > (long.MaxValue >> 8))
            {
                throw new TarFormatException($"has a tar header whose {what} does not fit in 63 bits", tampered: true);
            }

            value = (value << 8) | b;
        }

        return value;
    }

    private static TarFormatException BadNumber(ReadOnlySpan<byte> field, string what) =>
        new($"has a tar header whose {what} field is not a number below 2^63 ('{Escaped(field)}'): the header is damaged", tampered: false);

    private static (long Unsigned, long Signed) Sums(ReadOnlySpan<byte> header)
    {
        long unsigned = ' ' * ChecksumLength, signed = ' ' * ChecksumLength;
        for (var i = 0; i < header.Length; i++)
        {
            if (i is >= ChecksumOffset and < ChecksumOffset + ChecksumLength)
            {
                continue;
            }

            unsigned += header[i];
            signed += (sbyte)header[i];
        }

        return (unsigned, signed);
    }

    private static bool IsPosixMagic(ReadOnlySpan<byte> header) => header.Slice(MagicOffset, 8).SequenceEqual("ustar\000"u8);

    private static bool IsGnuMagic(ReadOnlySpan<byte> header) => header.Slice(MagicOffset, 8).SequenceEqual("ustar  \0"u8);

    private static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return end < 0 ? field : field[..end];
    }
}
