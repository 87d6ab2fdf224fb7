namespace Envship.Core.Conda;

/// <summary>Path helpers shared by the prefix inspectors.</summary>
internal static class PrefixPaths
{
    // Windows and macOS file systems are case-insensitive by default; treating them as such avoids
    // reporting a path as "outside the prefix" only because its spelling differs in case.
    private static readonly StringComparison _pathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>Full path without a trailing separator (except for a file-system root).</summary>
    public static string Normalize(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    public static bool IsInside(string path, string prefix)
    {
        var full = Normalize(path);
        var root = Normalize(prefix);
        if (string.Equals(full, root, _pathComparison))
        {
            return true;
        }

        var rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        return full.StartsWith(rootWithSeparator, _pathComparison);
    }

    /// <summary>Prefix-relative path with forward slashes, for messages and archive entries.</summary>
    public static string Relative(string prefix, string path) =>
        Path.GetRelativePath(prefix, path).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>
    /// Every site-packages directory of the prefix: <c>lib/python*/site-packages</c> (which also matches
    /// free-threaded <c>lib/python3.13t</c>) and, for Windows environments, <c>Lib/site-packages</c>.
    /// </summary>
    public static IReadOnlyList<string> SitePackages(string prefix)
    {
        var result = new List<string>();
        var lib = Path.Combine(prefix, "lib");
        if (Directory.Exists(lib))
        {
            foreach (var pythonDir in Directory.EnumerateDirectories(lib, "python*"))
            {
                var site = Path.Combine(pythonDir, "site-packages");
                if (Directory.Exists(site))
                {
                    result.Add(site);
                }
            }
        }

        var windowsSite = Path.Combine(prefix, "Lib", "site-packages");
        if (result.Count == 0 && Directory.Exists(windowsSite))
        {
            result.Add(windowsSite);
        }

        result.Sort(StringComparer.Ordinal);
        return result;
    }

    /// <summary>A <c>file://</c> URL as a local path; other values are returned unchanged.</summary>
    public static string FileUrlToPath(string url)
    {
        if (!url.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            return url;
        }

        var rest = url["file://".Length..];
        if (rest.StartsWith("localhost/", StringComparison.OrdinalIgnoreCase))
        {
            rest = rest["localhost".Length..];
        }

        rest = Uri.UnescapeDataString(rest);

        // file:///C:/src/proj names the Windows path C:/src/proj, not /C:/src/proj.
        if (rest.Length >= 3 && rest[0] == '/' && char.IsAsciiLetter(rest[1]) && rest[2] == ':')
        {
            rest = rest[1..];
        }

        return rest;
    }
}
