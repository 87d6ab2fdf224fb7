using System.Text;
using Envship.Core.Conda;

namespace Envship.Core.Exports;

/// <summary>Package URLs (purl) for conda packages and PyPI distributions, encoded as the purl spec requires.</summary>
public static class PackageUrl
{
    /// <summary><c>pkg:conda/NAME@VERSION?build=…&amp;channel=…&amp;subdir=…&amp;type=…</c>, qualifiers sorted by key, empty ones left out.</summary>
    public static string Conda(ExportPackage package)
    {
        ArgumentNullException.ThrowIfNull(package);
        var qualifiers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["build"] = package.Build,
            ["channel"] = package.Channel,
            ["subdir"] = package.Subdir,
            ["type"] = PackageType(package.FileName ?? package.Url),
        };
        var text = new StringBuilder("pkg:conda/")
            .Append(Encode(package.Name.ToLowerInvariant()))
            .Append('@').Append(Encode(package.Version));
        var separator = '?';
        foreach (var (key, value) in qualifiers)
        {
            if (value.Length > 0)
            {
                text.Append(separator).Append(key).Append('=').Append(Encode(value));
                separator = '&';
            }
        }

        return text.ToString();
    }

    /// <summary><c>pkg:pypi/NAME@VERSION</c> with the name normalized (PEP 503), as the pypi purl type asks.</summary>
    public static string Pypi(ExportPipDistribution distribution)
    {
        ArgumentNullException.ThrowIfNull(distribution);
        var name = Encode(PythonPackages.NormalizeName(distribution.Name));
        return distribution.Version.Length == 0 ? $"pkg:pypi/{name}" : $"pkg:pypi/{name}@{Encode(distribution.Version)}";
    }

    /// <summary>The conda package format from its file name: <c>conda</c> or <c>tar.bz2</c>; empty when unknown.</summary>
    public static string PackageType(string? fileName) => fileName switch
    {
        null => "",
        _ when fileName.EndsWith(".conda", StringComparison.Ordinal) => "conda",
        _ when fileName.EndsWith(".tar.bz2", StringComparison.Ordinal) => "tar.bz2",
        _ => "",
    };

    // The purl spec leaves unreserved characters and ':' as they are and percent-encodes every other UTF-8 byte.
    private static string Encode(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '~' or ':')
            {
                text.Append(c);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
