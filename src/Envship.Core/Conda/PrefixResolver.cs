namespace Envship.Core.Conda;

/// <summary>
/// Turns the user's <c>-p PREFIX</c> / <c>-n NAME</c> choice into an environment directory the way conda
/// would, but from the environment variables and files conda leaves behind, without running conda.
/// </summary>
public static class PrefixResolver
{
    private const string BaseName = "base";

    /// <summary>
    /// Returns the full path (no trailing separator) of an existing directory that contains <c>conda-meta/</c>.
    /// Throws <see cref="PrefixResolutionException"/> with an actionable message otherwise.
    /// </summary>
    /// <param name="prefix">The <c>-p</c> value, or null.</param>
    /// <param name="name">The <c>-n</c> value, or null.</param>
    /// <param name="environment">Environment variables (CONDA_PREFIX, CONDA_ROOT, MAMBA_ROOT_PREFIX, CONDA_EXE).</param>
    /// <param name="homeDirectory">The user's home, for <c>~/.conda/environments.txt</c> and <c>~/.conda/envs</c>.</param>
    public static string Resolve(
        string? prefix, string? name, IReadOnlyDictionary<string, string?> environment, string homeDirectory)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(homeDirectory);
        var hasPrefix = !string.IsNullOrWhiteSpace(prefix);
        var hasName = !string.IsNullOrWhiteSpace(name);
        if (hasPrefix && hasName)
        {
            throw new PrefixResolutionException(
                $"both a prefix ('{prefix}') and a name ('{name}') were given; pass either -p PREFIX or -n NAME, not both");
        }

        if (hasPrefix)
        {
            return RequireEnvironment(prefix!, "the given prefix");
        }

        if (hasName)
        {
            return ResolveName(name!.Trim(), environment, homeDirectory);
        }

        var active = Get(environment, "CONDA_PREFIX")
            ?? throw new PrefixResolutionException(
                "no environment given and CONDA_PREFIX is not set; pass -p PREFIX or -n NAME, or activate the environment");
        return RequireEnvironment(active, "CONDA_PREFIX");
    }

    private static string ResolveName(string name, IReadOnlyDictionary<string, string?> environment, string home)
    {
        if (name is "." or ".." || name.IndexOfAny(['/', '\\']) >= 0)
        {
            throw new PrefixResolutionException(
                $"'{name}' is not an environment name (names cannot contain path separators); use -p PREFIX for a path");
        }

        var roots = RootCandidates(environment);
        var listed = ReadEnvironmentsTxt(home);
        var candidates = new List<(string Path, string Origin)>();
        if (name == BaseName)
        {
            candidates.AddRange(roots);
            // conda registers its root in environments.txt too; a root is recognizable by condabin/.
            candidates.AddRange(listed
                .Where(e => Directory.Exists(Path.Combine(e, "condabin")))
                .Select(e => (e, "~/.conda/environments.txt")));
        }
        else
        {
            candidates.AddRange(roots.Select(r => (Path.Combine(r.Path, "envs", name), r.Origin + "/envs")));
            candidates.Add((Path.Combine(home, ".conda", "envs", name), "~/.conda/envs"));
            candidates.AddRange(listed
                .Where(e => Path.GetFileName(Path.TrimEndingDirectorySeparator(e)) == name)
                .Select(e => (e, "~/.conda/environments.txt")));
            candidates.AddRange(listed.Select(e => (Path.Combine(e, "envs", name), "~/.conda/environments.txt root")));
        }

        var searched = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, origin) in candidates)
        {
            var full = PrefixPaths.Normalize(path);
            if (!seen.Add(full))
            {
                continue;
            }

            if (IsEnvironment(full))
            {
                return full;
            }

            searched.Add($"{full} (from {origin})");
        }

        var where = searched.Count == 0
            ? " nowhere: CONDA_ROOT, MAMBA_ROOT_PREFIX and CONDA_EXE are not set and ~/.conda/environments.txt lists nothing"
            : ":" + Environment.NewLine + string.Join(Environment.NewLine, searched.Select(s => "  " + s));
        var hint = name == BaseName
            ? "pass -p with the conda installation's root directory, or set CONDA_ROOT"
            : "check the name with 'conda env list', or pass -p PREFIX";
        throw new PrefixResolutionException(
            $"could not find the conda environment '{name}'; {hint}. Searched{where}");
    }

    private static List<(string Path, string Origin)> RootCandidates(IReadOnlyDictionary<string, string?> environment)
    {
        var roots = new List<(string, string)>();
        if (Get(environment, "CONDA_ROOT") is { } condaRoot)
        {
            roots.Add((condaRoot, "CONDA_ROOT"));
        }

        if (Get(environment, "MAMBA_ROOT_PREFIX") is { } mambaRoot)
        {
            roots.Add((mambaRoot, "MAMBA_ROOT_PREFIX"));
        }

        if (Get(environment, "CONDA_EXE") is { } condaExe && RootOfCondaExe(condaExe) is { } exeRoot)
        {
            roots.Add((exeRoot, "CONDA_EXE"));
        }

        return roots;
    }

    // CONDA_EXE is ROOT/bin/conda, ROOT/condabin/conda, or ROOT\Scripts\conda.exe on Windows.
    private static string? RootOfCondaExe(string condaExe)
    {
        var exeDir = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(condaExe));
        if (string.IsNullOrEmpty(exeDir))
        {
            return null;
        }

        var dirName = Path.GetFileName(exeDir);
        return dirName is "bin" or "condabin" or "Scripts" ? Path.GetDirectoryName(exeDir) : null;
    }

    private static List<string> ReadEnvironmentsTxt(string home)
    {
        var file = Path.Combine(home, ".conda", "environments.txt");
        if (!File.Exists(file))
        {
            return [];
        }

        try
        {
            return File.ReadAllLines(file)
                .Select(l => l.Trim())
                .Where(l => l.Length > 0 && !l.StartsWith('#') && Path.IsPathFullyQualified(l))
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // environments.txt is only a hint; the error message lists what was searched without it.
            return [];
        }
    }

    private static string RequireEnvironment(string path, string origin)
    {
        var full = PrefixPaths.Normalize(path.Trim());
        if (!Directory.Exists(full))
        {
            throw new PrefixResolutionException(
                $"{origin} '{full}' is not a conda environment: the directory does not exist; "
                + "pass -p with the path of an existing conda environment");
        }

        if (!IsEnvironment(full))
        {
            throw new PrefixResolutionException(
                ExitCode.InvalidEnvironment,
                $"{origin} '{full}' is not a conda environment (it has no {CondaMeta.DirectoryName}/ directory); "
                + "pass -p with the environment's root directory, the one that contains conda-meta/");
        }

        return full;
    }

    private static bool IsEnvironment(string path) => Directory.Exists(Path.Combine(path, CondaMeta.DirectoryName));

    private static string? Get(IReadOnlyDictionary<string, string?> environment, string key) =>
        environment.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
