using System.Globalization;
using System.Text.Unicode;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive.Tar;

/// <summary>
/// The records of one pax extended header ('x'), parsed strictly: each is <c>"%d %s=%s\n"</c> with
/// a length that matches, a UTF-8 key and value, and no keyword twice. Only what envship uses is
/// kept (path, linkpath, size, comment); keywords for sparse files, multi-volume archives or other
/// charsets, which would make another reader see other bytes or names, are refused.
/// </summary>
internal sealed class PaxRecords
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public byte[]? Path { get; private set; }
    public byte[]? LinkPath { get; private set; }
    public long? Size { get; private set; }
    public string? Comment { get; private set; }

    public void Clear()
    {
        _seen.Clear();
        Path = null;
        LinkPath = null;
        Size = null;
        Comment = null;
    }

    public void Parse(ReadOnlySpan<byte> data)
    {
        Clear();
        while (!data.IsEmpty)
        {
            var space = data.IndexOf((byte)' ');
            if (space is <= 0 or > 8 || !int.TryParse(data[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length <= space + 3 || length > data.Length || data[length - 1] != (byte)'\n')
            {
                throw Malformed("a record whose length does not match its bytes");
            }

            var record = data[(space + 1)..(length - 1)];
            data = data[length..];
            var equals = record.IndexOf((byte)'=');
            if (equals <= 0)
            {
                throw Malformed("a record without 'keyword='");
            }

            var key = record[..equals];
            var value = record[(equals + 1)..];
            if (!Utf8.IsValid(key) || !Utf8.IsValid(value))
            {
                throw Malformed($"a record that is not valid UTF-8 ('{TarHeaderParser.Escaped(key)}')");
            }

            Keep(System.Text.Encoding.UTF8.GetString(key), value);
        }
    }

    private void Keep(string key, ReadOnlySpan<byte> value)
    {
        if (!_seen.Add(key))
        {
            throw Malformed($"the keyword '{key}' twice");
        }

        switch (key)
        {
            case "path":
                Path = NonEmpty(key, value).ToArray();
                break;
            case "linkpath":
                LinkPath = NonEmpty(key, value).ToArray();
                break;
            case "size":
                Size = long.TryParse(NonEmpty(key, value), NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                    ? size
                    : throw Malformed($"a size '{TarHeaderParser.Escaped(value)}' that is not a number below 2^63");
                break;
            case "comment":
                Comment = System.Text.Encoding.UTF8.GetString(value);
                break;
            case "uid" or "gid" when !IsDecimal(value, fraction: false):
            case "mtime" or "atime" or "ctime" when !IsDecimal(value, fraction: true):
                throw Malformed($"a {key} '{TarHeaderParser.Escaped(value)}' that is not a number (GNU tar would reject it)");
            case "hdrcharset" when !value.SequenceEqual("ISO-IR 10646 2000 UTF-8"u8):
                throw Malformed($"hdrcharset '{TarHeaderParser.Escaped(value)}' (names that are not UTF-8)");
            default:
                if (key.StartsWith("GNU.sparse.", StringComparison.Ordinal) || key.StartsWith("GNU.volume.", StringComparison.Ordinal))
                {
                    throw Malformed($"'{key}', a sparse or multi-volume member, which envship never writes");
                }

                break;
        }
    }

    /// <summary>Digits, with a leading '-' and a '.' fraction for times, as pax numbers are written.</summary>
    private static bool IsDecimal(ReadOnlySpan<byte> value, bool fraction)
    {
        if (fraction && value.StartsWith("-"u8))
        {
            value = value[1..];
        }

        var dot = fraction ? value.IndexOf((byte)'.') : -1;
        var whole = dot < 0 ? value : value[..dot];
        var part = dot < 0 ? [] : value[(dot + 1)..];
        return whole.Length is > 0 and <= 19 && !whole.ContainsAnyExceptInRange((byte)'0', (byte)'9')
            && (dot < 0 || (part.Length > 0 && !part.ContainsAnyExceptInRange((byte)'0', (byte)'9')));
    }

    private static ReadOnlySpan<byte> NonEmpty(string key, ReadOnlySpan<byte> value) =>
        value.IsEmpty ? throw Malformed($"an empty '{key}'") : value;

    private static TarFormatException Malformed(string what) => new($"has a pax header with {what}", tampered: true);
}
