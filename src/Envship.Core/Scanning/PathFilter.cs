using System.Text;
using System.Text.RegularExpressions;

namespace Envship.Core.Scanning;

/// <summary>
/// conda-pack's <c>--exclude</c>/<c>--include</c>: fnmatch patterns on paths relative to the prefix,
/// where <c>*</c> also crosses <c>/</c>. Includes win over excludes.
/// </summary>
public sealed class PathFilter
{
    private readonly Regex[] _excludes;
    private readonly Regex[] _includes;

    public PathFilter(IEnumerable<string> excludes, IEnumerable<string> includes)
    {
        _excludes = [.. excludes.Select(Translate)];
        _includes = [.. includes.Select(Translate)];
    }

    public static PathFilter None { get; } = new([], []);

    /// <summary>True when nothing can be excluded, so a walk need not ask about every path.</summary>
    public bool IsEmpty => _excludes.Length == 0;

    public bool IsExcluded(string relativePath) =>
        _excludes.Any(r => r.IsMatch(relativePath)) && !_includes.Any(r => r.IsMatch(relativePath));

    internal static Regex Translate(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    regex.Append(".*");
                    break;
                case '?':
                    regex.Append('.');
                    break;
                case '[':
                    var close = pattern.IndexOf(']', i + 2);
                    if (close < 0)
                    {
                        regex.Append(@"\[");
                        break;
                    }

                    var set = pattern[(i + 1)..close];
                    var negated = set.StartsWith('!');
                    regex.Append('[').Append(negated ? "^" : "").Append(set[(negated ? 1 : 0)..].Replace(@"\", @"\\", StringComparison.Ordinal)).Append(']');
                    i = close;
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }
}
