using System.Globalization;
using System.Text;

namespace Envship.Core.Tests.Exports;

/// <summary>A parsed package URL (purl), with the canonical form the spec defines.</summary>
internal sealed record Purl(string Type, string? Namespace, string Name, string? Version, SortedDictionary<string, string> Qualifiers, string? Subpath)
{
    public string ToCanonical()
    {
        var text = new StringBuilder("pkg:").Append(Type).Append('/');
        if (Namespace is not null)
            text.AppendJoin('/', Namespace.Split('/').Select(PurlParser.Encode)).Append('/');
        text.Append(PurlParser.Encode(Name));
        if (Version is not null)
            text.Append('@').Append(PurlParser.Encode(Version));
        if (Qualifiers.Count > 0)
            text.Append('?').AppendJoin('&', Qualifiers.Select(q => q.Key + "=" + PurlParser.Encode(q.Value)));
        if (Subpath is not null)
            text.Append('#').AppendJoin('/', Subpath.Split('/').Select(PurlParser.Encode));
        return text.ToString();
    }
}

/// <summary>
/// A strict parser following the purl specification's parsing rules (right to left: subpath, qualifiers,
/// scheme, type, version, name, namespace). It rejects malformed percent-encoding, unencoded reserved
/// characters, bad types and qualifier keys, duplicate keys and unsorted qualifiers.
/// </summary>
internal static class PurlParser
{
    public static Purl Parse(string purl)
    {
        var rest = purl;
        string? subpath = null;
        var hash = rest.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            subpath = string.Join('/', rest[(hash + 1)..].Trim('/').Split('/').Where(s => s is not ("" or "." or "..")).Select(Decode));
            rest = rest[..hash];
        }

        var qualifiers = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        if (question >= 0)
        {
            string? previous = null;
            foreach (var pair in rest[(question + 1)..].Split('&'))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                Require(eq > 0, purl, $"qualifier '{pair}' has no key=value form");
                var key = pair[..eq];
                Require(key.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-' or '_') && !char.IsAsciiDigit(key[0]), purl, $"bad qualifier key '{key}'");
                Require(previous is null || string.CompareOrdinal(previous, key) < 0, purl, "qualifiers are not sorted or repeat a key");
                previous = key;
                var value = Decode(pair[(eq + 1)..]);
                Require(value.Length > 0, purl, $"qualifier '{key}' is empty");
                qualifiers[key] = value;
            }

            rest = rest[..question];
        }

        Require(rest.StartsWith("pkg:", StringComparison.Ordinal), purl, "the scheme is not 'pkg:'");
        rest = rest["pkg:".Length..].Trim('/');
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        Require(slash > 0, purl, "there is no type");
        var type = rest[..slash];
        Require(type.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '+' or '-') && !char.IsAsciiDigit(type[0]), purl, $"bad type '{type}'");
        rest = rest[(slash + 1)..].TrimEnd('/');

        string? version = null;
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            version = Decode(rest[(at + 1)..]);
            rest = rest[..at];
        }

        var segments = rest.Split('/').Where(s => s.Length > 0).ToList();
        Require(segments.Count > 0, purl, "there is no name");
        var name = Decode(segments[^1]);
        var ns = segments.Count > 1 ? string.Join('/', segments[..^1].Select(Decode)) : null;
        return new Purl(type, ns, name, version, qualifiers, subpath);
    }

    public static string Encode(string value)
    {
        var text = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '~' or ':')
                text.Append(c);
            else
                text.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private static string Decode(string value)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '%')
            {
                Require(i + 2 < value.Length && char.IsAsciiHexDigit(value[i + 1]) && char.IsAsciiHexDigit(value[i + 2]), value, "bad percent-encoding");
                bytes.Add(byte.Parse(value.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 2;
            }
            else
            {
                Require(c < 0x80 && (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '~' or ':' or '+' or '!' or '*' or '\'' or '(' or ')' or ',' or ';' or '$'), value, $"character '{c}' must be percent-encoded");
                bytes.Add((byte)c);
            }
        }

        return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString([.. bytes]);
    }

    private static void Require(bool condition, string purl, string problem)
    {
        if (!condition)
            throw new FormatException($"invalid purl '{purl}': {problem}");
    }
}
