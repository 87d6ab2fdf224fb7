namespace Envship.Core.Conda;

/// <summary>
/// What a prefix is: a single environment, or a whole conda installation (base plus <c>envs/</c>,
/// as Miniconda or Miniforge lay it out).
/// </summary>
/// <param name="Prefix">Full path of the inspected prefix.</param>
/// <param name="IsWholeInstallation">The prefix is a conda root with an <c>envs/</c> directory.</param>
/// <param name="EnvironmentPaths">
/// Prefix-relative environment paths with forward slashes: <c>""</c> for the prefix itself, then
/// <c>envs/NAME</c> for each environment of a whole installation, sorted ordinally.
/// </param>
public sealed record InstallationLayout(string Prefix, bool IsWholeInstallation, IReadOnlyList<string> EnvironmentPaths)
{
    /// <summary>The package cache of a whole installation, relative to its root.</summary>
    public string PackageCacheRelativePath { get; init; } = "pkgs";

    public static InstallationLayout Detect(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var root = PrefixPaths.Normalize(prefix);
        var envsDir = Path.Combine(root, "envs");
        var isRoot = Directory.Exists(Path.Combine(root, "condabin")) || HasCondaRecord(root);
        var isWhole = isRoot && Directory.Exists(envsDir);

        var environments = new List<string> { string.Empty };
        if (isWhole)
        {
            environments.AddRange(Directory.EnumerateDirectories(envsDir)
                .Where(env => Directory.Exists(Path.Combine(env, CondaMeta.DirectoryName)))
                .Select(env => "envs/" + Path.GetFileName(env))
                .Order(StringComparer.Ordinal));
        }

        return new InstallationLayout(root, isWhole, environments);
    }

    // Only the "conda" package itself marks a root: conda-build-*.json or conda-libmamba-solver-*.json
    // can be installed into any environment.
    private static bool HasCondaRecord(string root)
    {
        var metaDir = Path.Combine(root, CondaMeta.DirectoryName);
        return Directory.Exists(metaDir)
            && Directory.EnumerateFiles(metaDir, "conda-*.json")
                .Select(Path.GetFileName)
                .Any(name => name!.Length > "conda-".Length && char.IsAsciiDigit(name["conda-".Length]));
    }
}
