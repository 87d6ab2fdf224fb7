using System.Text;

namespace Envship.Core.Registry.Artifact;

/// <summary>
/// A wheel's <c>RECORD</c> (PEP 376 / 627): CSV rows of path, hash and size, paths relative to the
/// directory that holds the <c>.dist-info</c> (site-packages) and may climb out of it with <c>..</c>.
/// </summary>
public static class PipRecord
{
    /// <summary>
    /// The files RECORD lists, as archive paths: <paramref name="sitePackages"/> is the site-packages
    /// directory's archive path; absolute paths under <paramref name="sourcePrefix"/> are made relative
    /// to <paramref name="prefixPath"/>, and paths that leave the prefix are dropped.
    /// </summary>
    public static IReadOnlyList<string> Paths(string recordText, string sitePackages, string sourcePrefix, string prefixPath = "")
    {
        ArgumentNullException.ThrowIfNull(recordText);
        ArgumentNullException.ThrowIfNull(sitePackages);
        ArgumentNullException.ThrowIfNull(sourcePrefix);
        var result = new List<string>();
        foreach (var line in recordText.Split('\n'))
        {
            var path = FirstField(line.TrimEnd('\r'));
            if (path.Length == 0)
            {
                continue;
            }

            string? resolved;
            if (path.StartsWith('/'))
            {
                var root = sourcePrefix.TrimEnd('/') + "/" + (prefixPath.Length == 0 ? "" : prefixPath + "/");
                resolved = path.StartsWith(root, StringComparison.Ordinal) ? Normalize(path[root.Length..], prefixPath) : null;
            }
            else
            {
                resolved = Normalize(sitePackages.Length == 0 ? path : sitePackages + "/" + path, "");
            }

            if (resolved is not null)
            {
                result.Add(resolved);
            }
        }

        return result;
    }

    /// <summary>The first CSV field: quoted with doubled quotes inside, or up to the first comma.</summary>
    internal static string FirstField(string line)
    {
        if (!line.StartsWith('"'))
        {
            var comma = line.IndexOf(',', StringComparison.Ordinal);
            return comma < 0 ? line : line[..comma];
        }

        var field = new StringBuilder();
        for (var i = 1; i < line.Length; i++)
        {
            if (line[i] != '"')
            {
                field.Append(line[i]);
            }
            else if (i + 1 < line.Length && line[i + 1] == '"')
            {
                field.Append('"');
                i++;
            }
            else
            {
                break;
            }
        }

        return field.ToString();
    }

    /// <summary>Resolves <c>.</c> and <c>..</c>; null when the path climbs above the archive root.</summary>
    private static string? Normalize(string path, string prefixPath)
    {
        var parts = new List<string>();
        if (prefixPath.Length > 0)
        {
            parts.AddRange(prefixPath.Split('/'));
        }

        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return null;
                }

                parts.RemoveAt(parts.Count - 1);
            }
            else
            {
                parts.Add(part);
            }
        }

        return parts.Count == 0 ? null : string.Join('/', parts);
    }
}
