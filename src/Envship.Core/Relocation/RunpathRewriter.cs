using System.Text;

namespace Envship.Core.Relocation;

/// <summary>
/// Rewrites a ':'-separated DT_RPATH/DT_RUNPATH value for a new prefix, preferring absolute paths
/// and falling back to $ORIGIN-relative ones when the absolute form is longer than the space available.
/// </summary>
public static class RunpathRewriter
{
    private const string Origin = "$ORIGIN";

    /// <param name="runpath">The current value, entries separated by ':'.</param>
    /// <param name="sourcePrefix">The prefix the binary was built for.</param>
    /// <param name="destinationPrefix">The prefix the binary is moving to.</param>
    /// <param name="elfDirectoryRelativeToPrefix">Directory holding the ELF file, relative to the prefix ("bin", "" for the prefix itself).</param>
    /// <param name="maxLength">Longest result, in UTF-8 bytes without the NUL, that fits in place.</param>
    /// <param name="preferOrigin">Skip the absolute attempt and always use $ORIGIN for in-prefix entries.</param>
    /// <returns>The rewritten value, or null when it cannot fit in <paramref name="maxLength"/> bytes.</returns>
    public static string? Rewrite(
        string runpath,
        string sourcePrefix,
        string destinationPrefix,
        string elfDirectoryRelativeToPrefix,
        int maxLength,
        bool preferOrigin)
    {
        ArgumentNullException.ThrowIfNull(runpath);
        ArgumentException.ThrowIfNullOrEmpty(sourcePrefix);
        ArgumentNullException.ThrowIfNull(destinationPrefix);
        ArgumentNullException.ThrowIfNull(elfDirectoryRelativeToPrefix);

        var elfDirectory = Segments(elfDirectoryRelativeToPrefix);
        if (elfDirectory.Contains(".."))
        {
            throw new ArgumentException("The ELF directory must not leave the prefix.", nameof(elfDirectoryRelativeToPrefix));
        }

        var source = PrefixPath.Normalize(sourcePrefix);
        var destination = PrefixPath.Normalize(destinationPrefix);
        var entries = runpath.Split(':');
        var remainders = new string?[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            remainders[i] = PrefixPath.TryGetRemainder(entries[i], source, out var remainder) ? remainder : null;
        }

        if (!preferOrigin)
        {
            var absolute = Join(entries, remainders, r => destination + r);
            if (Fits(absolute, maxLength))
            {
                return absolute;
            }
        }

        var relative = Join(entries, remainders, r => RelativeToOrigin(elfDirectory, Segments(r)));
        return Fits(relative, maxLength) ? relative : null;
    }

    /// <summary>"$ORIGIN" followed by the path from <paramref name="fromDirectory"/> to <paramref name="target"/>.</summary>
    internal static string RelativeToOrigin(IReadOnlyList<string> fromDirectory, IReadOnlyList<string> target)
    {
        var common = 0;
        while (common < fromDirectory.Count && common < target.Count
            && string.Equals(fromDirectory[common], target[common], StringComparison.Ordinal))
        {
            common++;
        }

        var builder = new StringBuilder(Origin);
        for (var i = common; i < fromDirectory.Count; i++)
        {
            builder.Append("/..");
        }

        for (var i = common; i < target.Count; i++)
        {
            builder.Append('/').Append(target[i]);
        }

        return builder.ToString();
    }

    // ".." is kept as written: resolving it lexically could disagree with the loader when symlinks are involved.
    internal static List<string> Segments(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToList();

    private static string Join(string[] entries, string?[] remainders, Func<string, string> map)
    {
        var parts = new string[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            parts[i] = remainders[i] is { } remainder ? map(remainder) : entries[i];
        }

        return string.Join(':', parts);
    }

    private static bool Fits(string value, int maxLength) => Encoding.UTF8.GetByteCount(value) <= maxLength;
}
