using System.Text;

namespace Envship.Testing;

/// <summary>How conda rewrites a build-time prefix placeholder when it links a file into an environment.</summary>
public enum PlaceholderMode
{
    /// <summary>Plain substitution; the file may change length.</summary>
    Text,

    /// <summary>Substitution inside NUL-terminated strings, NUL-padded so the file keeps its length.</summary>
    Binary,
}

/// <summary>Applies conda's placeholder replacement rules to file contents.</summary>
public static class PlaceholderRewriter
{
    /// <summary>Replaces <paramref name="placeholder"/> by <paramref name="prefix"/> in <paramref name="data"/>.</summary>
    public static byte[] Rewrite(byte[] data, string placeholder, string prefix, PlaceholderMode mode)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(placeholder);
        ArgumentNullException.ThrowIfNull(prefix);
        var from = Encoding.UTF8.GetBytes(placeholder);
        var to = Encoding.UTF8.GetBytes(prefix);
        return mode == PlaceholderMode.Text ? ReplaceText(data, from, to) : ReplaceBinary(data, from, to);
    }

    /// <summary>Rewrites the file at <paramref name="path"/> in place, keeping its mode and mtime.</summary>
    public static void RewriteFile(string path, string placeholder, string prefix, PlaceholderMode mode)
    {
        var mtime = File.GetLastWriteTimeUtc(path);
        var fileMode = File.GetUnixFileMode(path);
        var rewritten = Rewrite(File.ReadAllBytes(path), placeholder, prefix, mode);
        File.WriteAllBytes(path, rewritten);
        File.SetUnixFileMode(path, fileMode);
        File.SetLastWriteTimeUtc(path, mtime);
    }

    private static byte[] ReplaceText(byte[] data, byte[] from, byte[] to)
    {
        using var output = new MemoryStream(data.Length);
        var rest = data.AsSpan();
        int hit;
        while ((hit = rest.IndexOf(from)) >= 0)
        {
            output.Write(rest[..hit]);
            output.Write(to);
            rest = rest[(hit + from.Length)..];
        }

        output.Write(rest);
        return output.ToArray();
    }

    // Each C string that contains the placeholder is rewritten from the first occurrence up to its
    // terminating NUL, then padded with one block of NULs per occurrence so every offset after it
    // stays put; a prefix longer than the placeholder cannot fit, as in conda's PaddingError.
    private static byte[] ReplaceBinary(byte[] data, byte[] from, byte[] to)
    {
        var shrink = from.Length - to.Length;
        if (shrink < 0)
        {
            throw new InvalidOperationException(
                $"The prefix ({to.Length} bytes) is longer than the binary placeholder ({from.Length} bytes); conda cannot pad it.");
        }

        var output = new byte[data.Length];
        var source = data.AsSpan();
        var read = 0;
        var write = 0;
        while (true)
        {
            var hit = source[read..].IndexOf(from);
            if (hit < 0)
                break;
            hit += read;
            var terminator = source[(hit + from.Length)..].IndexOf((byte)0);
            if (terminator < 0)
                break;
            var end = hit + from.Length + terminator;

            source[read..hit].CopyTo(output.AsSpan(write));
            write += hit - read;
            var segment = ReplaceText(source[hit..end].ToArray(), from, to);
            segment.CopyTo(output.AsSpan(write));
            write += segment.Length;
            var padding = (end - hit) - segment.Length;
            output.AsSpan(write, padding).Clear();
            write += padding;
            read = end;
        }

        source[read..].CopyTo(output.AsSpan(write));
        return output;
    }
}
