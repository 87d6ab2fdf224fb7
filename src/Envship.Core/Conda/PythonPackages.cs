using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Envship.Core.Conda;

/// <summary>Inspects the Python side of a conda prefix: pip distributions and the Python version.</summary>
public static partial class PythonPackages
{
    /// <summary>Every <c>*.dist-info</c> under the prefix's site-packages, sorted by normalized name.</summary>
    public static IReadOnlyList<PipDistribution> FindDistributions(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var result = new List<PipDistribution>();
        foreach (var site in PrefixPaths.SitePackages(prefix))
        {
            foreach (var distInfo in Directory.EnumerateDirectories(site, "*.dist-info"))
            {
                result.Add(ReadDistribution(distInfo));
            }
        }

        return result
            .OrderBy(d => NormalizeName(d.Name), StringComparer.Ordinal)
            .ThenBy(d => d.Version, StringComparer.Ordinal)
            .ThenBy(d => d.DistInfoPath, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>PEP 503 normalization: lower case, runs of <c>-</c>, <c>_</c> and <c>.</c> become one <c>-</c>.</summary>
    public static string NormalizeName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return SeparatorRun().Replace(name, "-").ToLowerInvariant();
    }

    /// <summary>
    /// The Python version of the prefix: the <c>python</c> record's version when there is one, otherwise
    /// <c>X.Y</c> from a <c>lib/pythonX.Y</c> (or <c>lib/pythonX.Yt</c>) directory, otherwise null.
    /// </summary>
    public static string? DetectPythonVersion(string prefix, IReadOnlyList<CondaPackageRecord> records)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentNullException.ThrowIfNull(records);
        var python = records.FirstOrDefault(r => r.Name == "python" && r.Version.Length > 0);
        if (python is not null)
        {
            return python.Version;
        }

        var lib = Path.Combine(prefix, "lib");
        if (!Directory.Exists(lib))
        {
            return null;
        }

        (int Major, int Minor)? best = null;
        foreach (var dir in Directory.EnumerateDirectories(lib, "python*"))
        {
            var match = LibPythonDir().Match(Path.GetFileName(dir));
            if (match.Success
                && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var major)
                && int.TryParse(match.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
                && (best is null || (major, minor).CompareTo(best.Value) > 0))
            {
                best = (major, minor);
            }
        }

        return best is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v.Major}.{v.Minor}") : null;
    }

    private static PipDistribution ReadDistribution(string distInfo)
    {
        var (fallbackName, fallbackVersion) = SplitDistInfoName(Path.GetFileName(distInfo));
        var (name, version) = ReadMetadataHeaders(Path.Combine(distInfo, "METADATA"));
        var installer = ReadFirstLine(Path.Combine(distInfo, "INSTALLER"));
        var (editable, location) = ReadDirectUrl(Path.Combine(distInfo, "direct_url.json"));
        return new PipDistribution(
            name ?? fallbackName, version ?? fallbackVersion, installer, distInfo, editable, location);
    }

    // "foo_bar-1.0.dist-info": the wheel spec escapes '-' in names to '_', so the first '-' splits name and version.
    private static (string Name, string Version) SplitDistInfoName(string directoryName)
    {
        var stem = directoryName[..^".dist-info".Length];
        var dash = stem.IndexOf('-', StringComparison.Ordinal);
        return dash < 0 ? (stem, string.Empty) : (stem[..dash], stem[(dash + 1)..]);
    }

    private static (string? Name, string? Version) ReadMetadataHeaders(string metadataPath)
    {
        if (!File.Exists(metadataPath))
        {
            return (null, null);
        }

        string? name = null;
        string? version = null;
        using var reader = new StreamReader(metadataPath, Encoding.UTF8);
        while (reader.ReadLine() is { } line && line.Length > 0)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || char.IsWhiteSpace(line[0]))
            {
                continue;
            }

            var key = line.AsSpan(0, colon).Trim();
            var value = line[(colon + 1)..].Trim();
            if (name is null && key.Equals("Name", StringComparison.OrdinalIgnoreCase))
            {
                name = value;
            }
            else if (version is null && key.Equals("Version", StringComparison.OrdinalIgnoreCase))
            {
                version = value;
            }
        }

        return (name, version);
    }

    private static string? ReadFirstLine(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var reader = new StreamReader(path, Encoding.UTF8);
        var line = reader.ReadLine()?.Trim();
        return string.IsNullOrEmpty(line) ? null : line;
    }

    private static (bool Editable, string? Location) ReadDirectUrl(string path)
    {
        if (!File.Exists(path))
        {
            return (false, null);
        }

        DirectUrlDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize(File.ReadAllBytes(path), CondaJsonContext.Default.DirectUrlDto);
        }
        catch (JsonException)
        {
            // A damaged direct_url.json is pip's bookkeeping, not the package; it only loses the editable hint.
            return (false, null);
        }

        return dto?.DirInfo?.Editable == true && !string.IsNullOrEmpty(dto.Url)
            ? (true, PrefixPaths.FileUrlToPath(dto.Url))
            : (false, null);
    }

    [GeneratedRegex("[-_.]+")]
    private static partial Regex SeparatorRun();

    [GeneratedRegex(@"^python(\d+)\.(\d+)t?$")]
    private static partial Regex LibPythonDir();
}
