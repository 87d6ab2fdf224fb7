using System.Text.RegularExpressions;

namespace Envship.Core.Exports;

/// <summary>
/// Reads <c>conda-meta/history</c> the way conda does for <c>--from-history</c>: the
/// <c># update specs:</c>, <c># install specs:</c> and <c># create specs:</c> lines add specs by package
/// name, <c># remove specs:</c> and <c># uninstall specs:</c> drop them; a later spec for a name replaces an earlier one.
/// </summary>
public static partial class RequestedSpecs
{
    public static IReadOnlyList<string> Parse(string historyText)
    {
        ArgumentNullException.ThrowIfNull(historyText);
        var specs = new List<(string Name, string Spec)>();
        var sawSpecLine = false;
        var installed = new List<string>();
        foreach (var raw in historyText.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var match = SpecLine().Match(line);
            if (match.Success)
            {
                sawSpecLine = true;
                var remove = match.Groups[1].Value is "remove" or "uninstall";
                foreach (var spec in ListItems(match.Groups[2].Value))
                {
                    var name = DependencyOrder.SpecName(spec);
                    specs.RemoveAll(s => s.Name == name);
                    if (!remove)
                    {
                        specs.Add((name, spec));
                    }
                }
            }
            else if (line.StartsWith('+'))
            {
                installed.Add(line[1..].Trim());
            }
        }

        // Histories written before conda recorded specs only list the linked dists: fall back to their names.
        return sawSpecLine
            ? [.. specs.Select(s => s.Spec)]
            : [.. installed.Select(DistName).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Reads the history file of an environment; no file means no requested specs.</summary>
    public static IReadOnlyList<string> Read(string environmentPrefix)
    {
        var path = Path.Combine(environmentPrefix, "conda-meta", "history");
        return File.Exists(path) ? Parse(File.ReadAllText(path)) : [];
    }

    // "conda-forge/osx-arm64::python-3.13.2-hfd29fff_1" names python: the dist drops its last two dash-separated parts.
    private static string DistName(string dist)
    {
        var channel = dist.LastIndexOf("::", StringComparison.Ordinal);
        var stem = channel >= 0 ? dist[(channel + 2)..] : dist;
        var last = stem.LastIndexOf('-');
        var second = last > 0 ? stem.LastIndexOf('-', last - 1) : -1;
        return second > 0 ? stem[..second] : "";
    }

    private static IEnumerable<string> ListItems(string list) =>
        ListItem().Matches(list).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).Where(s => s.Length > 0);

    [GeneratedRegex(@"^#\s*(update|install|create|remove|uninstall) specs:\s*\[(.*)\]\s*$")]
    private static partial Regex SpecLine();

    [GeneratedRegex(@"'([^']*)'|""([^""]*)""")]
    private static partial Regex ListItem();
}
