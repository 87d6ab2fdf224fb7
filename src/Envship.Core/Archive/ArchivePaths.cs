using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive;

/// <summary>What makes a member or manifest path unsafe to create below a destination.</summary>
public static class ArchivePaths
{
    /// <summary>Linux's NAME_MAX and PATH_MAX: longer names fail at extraction time with an I/O error instead of a clear refusal.</summary>
    public const int MaxComponentBytes = 255;
    public const int MaxPathBytes = 4095;

    /// <summary>Returns why <paramref name="path"/> is not a plain relative path inside the destination, or null when it is.</summary>
    public static string? Problem(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "is empty";
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            return "contains a NUL byte";
        }

        if (path.StartsWith('/'))
        {
            return "is an absolute path";
        }

        if (MoreUtf8BytesThan(path, MaxPathBytes))
        {
            return $"is longer than {MaxPathBytes} bytes";
        }

        // Checked for every entry of every manifest: walked in place, without splitting into strings.
        foreach (var range in path.AsSpan().Split('/'))
        {
            var part = path.AsSpan(range);
            var problem = part switch
            {
                ".." => "has a '..' component that climbs out of the destination",
                "." => "has a '.' component",
                "" => "has an empty component ('//')",
                _ when MoreUtf8BytesThan(part, MaxComponentBytes) => $"has a component longer than {MaxComponentBytes} bytes",
                _ => null,
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    // A UTF-16 code unit never takes more than 3 UTF-8 bytes, so short text needs no counting.
    private static bool MoreUtf8BytesThan(ReadOnlySpan<char> text, int limit) =>
        text.Length > limit / 3 && System.Text.Encoding.UTF8.GetByteCount(text) > limit;

    /// <summary>Symlinks the manifest declares that resolve outside the prefix: kept as links, and reported.</summary>
    public static IEnumerable<ManifestEntry> SymlinksLeavingPrefix(Manifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.Entries.Where(e => e.Type == EntryType.Symlink && e.Target is not null && LeavesPrefix(e.Path, e.Target));
    }

    /// <summary>True when a symlink with this text, placed at <paramref name="linkPath"/>, resolves outside the prefix.</summary>
    public static bool LeavesPrefix(string linkPath, string target)
    {
        if (target.StartsWith('/'))
        {
            return true;
        }

        var depth = linkPath.Count(c => c == '/');
        foreach (var part in target.Split('/'))
        {
            depth += part switch
            {
                ".." => -1,
                "" or "." => 0,
                _ => 1,
            };
            if (depth < 0)
            {
                return true;
            }
        }

        return false;
    }
}
