using System.Globalization;
using System.Text;

namespace Envship.Testing;

/// <summary>
/// Tar bytes written by hand, header field by header field, for the tests of hostile headers that
/// no tar library writes: wrong checksums, pax records that disagree with the ustar fields, sizes
/// near 2^63, names that are not UTF-8. Also edits the members of an existing plain tar.
/// </summary>
public static class RawTar
{
    public const int Block = 512;

    /// <summary>A ustar header (POSIX magic) with a correct checksum; <paramref name="edit"/> may change any byte before the sum.</summary>
    public static byte[] Header(byte[] name, char type, long size, byte[]? link = null, Action<byte[]>? edit = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var header = new byte[Block];
        name.AsSpan(0, Math.Min(name.Length, 100)).CopyTo(header);
        Octal(header, 100, 8, 0b110_100_100);
        Octal(header, 108, 8, 0);
        Octal(header, 116, 8, 0);
        Octal(header, 124, 12, size);
        Octal(header, 136, 12, 0);
        header[156] = (byte)type;
        link?.AsSpan(0, Math.Min(link.Length, 100)).CopyTo(header.AsSpan(157));
        "ustar\0"u8.CopyTo(header.AsSpan(257));
        "00"u8.CopyTo(header.AsSpan(263));
        edit?.Invoke(header);
        Checksum(header);
        return header;
    }

    public static byte[] Header(string name, char type, long size, string? link = null, Action<byte[]>? edit = null) =>
        Header(Encoding.UTF8.GetBytes(name), type, size, link is null ? null : Encoding.UTF8.GetBytes(link), edit);

    /// <summary>A pax extended header ('x') and its padded records.</summary>
    public static byte[] Pax(params (string Key, byte[] Value)[] records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var data = new MemoryStream();
        foreach (var (key, value) in records)
        {
            data.Write(Record(key, value));
        }

        return [.. Header("./PaxHeaders/x", 'x', data.Length), .. Padded(data.ToArray())];
    }

    public static (string, byte[]) Text(string key, string value) => (key, Encoding.UTF8.GetBytes(value));

    /// <summary>One record, <c>"%d %s=%s\n"</c>, its length counting its own digits.</summary>
    public static byte[] Record(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var body = Encoding.UTF8.GetByteCount(key) + value.Length + 3;
        var length = body + body.ToString(CultureInfo.InvariantCulture).Length;
        if (length.ToString(CultureInfo.InvariantCulture).Length != body.ToString(CultureInfo.InvariantCulture).Length)
        {
            length++;
        }

        return [.. Encoding.ASCII.GetBytes($"{length} {key}="), .. value, (byte)'\n'];
    }

    public static byte[] Padded(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return [.. data, .. new byte[(Block - (data.Length % Block)) % Block]];
    }

    public static byte[] End() => new byte[2 * Block];

    public static void Checksum(Span<byte> header)
    {
        header.Slice(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in header)
        {
            sum += b;
        }

        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ", header.Slice(148, 8));
    }

    public static void Octal(Span<byte> header, int offset, int length, long value) =>
        Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(length - 1, '0') + "\0", header.Slice(offset, length));

    /// <summary>A size field in base-256, as GNU tar writes sizes over 8 GiB.</summary>
    public static void Base256(Span<byte> header, int offset, int length, long value)
    {
        var field = header.Slice(offset, length);
        field.Clear();
        field[0] = 0x80;
        for (var i = length - 1; i > 0 && value != 0; i--, value >>= 8)
        {
            field[i] = (byte)value;
        }
    }

    /// <summary>The members of a plain tar: where each one's headers start, its name, and where its data starts.</summary>
    public static List<TarMemberSpan> Members(byte[] tar)
    {
        ArgumentNullException.ThrowIfNull(tar);
        var members = new List<TarMemberSpan>();
        var offset = 0;
        var start = 0;
        string? paxPath = null;
        while (offset + Block <= tar.Length && tar.AsSpan(offset, Block).ContainsAnyExcept((byte)0))
        {
            var header = tar.AsSpan(offset, Block);
            var size = Convert.ToInt64(Encoding.ASCII.GetString(header.Slice(124, 11)).Trim('\0', ' ') is { Length: > 0 } digits ? digits : "0", 8);
            var dataStart = offset + Block;
            if (header[156] == (byte)'x')
            {
                paxPath = PaxPath(tar.AsSpan(dataStart, (int)size));
                offset = dataStart + (int)Padded(size);
                continue;
            }

            var ustarName = Encoding.UTF8.GetString(header[..100].TrimEnd((byte)0));
            members.Add(new TarMemberSpan(paxPath ?? ustarName, start, offset, dataStart, size));
            paxPath = null;
            offset = dataStart + (int)Padded(size);
            start = offset;
        }

        return members;
    }

    /// <summary>Replaces the headers of member <paramref name="name"/> (pax and ustar) with <paramref name="headers"/>, keeping its data.</summary>
    public static byte[] ReplaceHeaders(byte[] tar, string name, byte[] headers)
    {
        var member = Members(tar).Single(m => m.Name == name);
        return [.. tar[..member.Start], .. headers, .. tar[member.DataStart..]];
    }

    /// <summary>Inserts whole members (headers and padded data) before member <paramref name="before"/>.</summary>
    public static byte[] InsertBefore(byte[] tar, string before, byte[] members)
    {
        var member = Members(tar).Single(m => m.Name == before);
        return [.. tar[..member.Start], .. members, .. tar[member.Start..]];
    }

    private static long Padded(long size) => (size + Block - 1) / Block * Block;

    private static string? PaxPath(ReadOnlySpan<byte> records)
    {
        foreach (var line in Encoding.UTF8.GetString(records).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var record = line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..];
            if (record.StartsWith("path=", StringComparison.Ordinal))
            {
                return record["path=".Length..];
            }
        }

        return null;
    }
}

/// <summary>One member of a plain tar: its first header (pax or ustar), its ustar header, its data.</summary>
public sealed record TarMemberSpan(string Name, int Start, int UstarHeader, int DataStart, long Size);
