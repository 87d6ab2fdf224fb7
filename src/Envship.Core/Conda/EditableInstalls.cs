using System.Text;

namespace Envship.Core.Conda;

/// <summary>Finds Python packages installed in development mode from sources outside the prefix.</summary>
public static class EditableInstalls
{
    private const string EditablePthPrefix = "__editable__.";

    /// <summary>
    /// Looks at PEP 610 <c>direct_url.json</c> files, legacy <c>*.egg-link</c> files and <c>*.pth</c> path
    /// entries in every site-packages directory. Only locations outside the prefix are reported: code inside
    /// the prefix travels with it. Sorted by package name, then evidence.
    /// </summary>
    public static IReadOnlyList<EditableInstall> Find(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var result = new List<EditableInstall>();
        foreach (var dist in PythonPackages.FindDistributions(prefix))
        {
            if (dist.IsEditable && dist.EditableLocation is { } location && !IsInsidePrefix(location, prefix))
            {
                var evidence = PrefixPaths.Relative(prefix, Path.Combine(dist.DistInfoPath, "direct_url.json"));
                result.Add(new EditableInstall(dist.Name, evidence, location));
            }
        }

        foreach (var site in PrefixPaths.SitePackages(prefix))
        {
            AddEggLinks(prefix, site, result);
            AddPthEntries(prefix, site, result);
        }

        return result
            .OrderBy(e => e.PackageName, StringComparer.Ordinal)
            .ThenBy(e => e.Evidence, StringComparer.Ordinal)
            .ThenBy(e => e.PointsTo, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary><c>__editable__.foo-1.0.pth</c> → <c>foo</c>, <c>foo.pth</c> → <c>foo</c>.</summary>
    public static string PackageNameFromPth(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var stem = Path.GetFileNameWithoutExtension(fileName);
        if (stem.StartsWith(EditablePthPrefix, StringComparison.Ordinal))
        {
            stem = stem[EditablePthPrefix.Length..];
        }

        // Drop a "-<version>" suffix: the first '-' followed by a digit starts the version.
        for (var i = 0; i < stem.Length - 1; i++)
        {
            if (stem[i] == '-' && char.IsAsciiDigit(stem[i + 1]) && i > 0)
            {
                return stem[..i];
            }
        }

        return stem;
    }

    private static void AddEggLinks(string prefix, string site, List<EditableInstall> result)
    {
        foreach (var eggLink in Directory.EnumerateFiles(site, "*.egg-link"))
        {
            var target = ReadLines(eggLink).Select(l => l.Trim()).FirstOrDefault();
            if (string.IsNullOrEmpty(target))
            {
                continue;
            }

            var full = Path.GetFullPath(target, site);
            if (!IsInsidePrefix(full, prefix))
            {
                var name = Path.GetFileName(eggLink)[..^".egg-link".Length];
                result.Add(new EditableInstall(name, PrefixPaths.Relative(prefix, eggLink), full));
            }
        }
    }

    private static void AddPthEntries(string prefix, string site, List<EditableInstall> result)
    {
        foreach (var pth in Directory.EnumerateFiles(site, "*.pth"))
        {
            foreach (var raw in ReadLines(pth))
            {
                var line = raw.Trim();
                // Python's site module executes lines starting with "import" and skips comments; neither names a path.
                if (line.Length == 0
                    || line.StartsWith('#')
                    || line.StartsWith("import ", StringComparison.Ordinal)
                    || line.StartsWith("import\t", StringComparison.Ordinal)
                    || !Path.IsPathFullyQualified(line)
                    || IsInsidePrefix(line, prefix))
                {
                    continue;
                }

                var name = PackageNameFromPth(Path.GetFileName(pth));
                result.Add(new EditableInstall(name, PrefixPaths.Relative(prefix, pth), PrefixPaths.Normalize(line)));
            }
        }
    }

    private static bool IsInsidePrefix(string path, string prefix) =>
        Path.IsPathFullyQualified(path) && PrefixPaths.IsInside(path, prefix);

    private static string[] ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Detection is advisory; an unreadable file must not stop the inspection of the rest.
            return [];
        }
    }
}
