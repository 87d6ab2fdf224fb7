namespace Envship.Testing;

/// <summary>Locates the shared, read-only real-data fixtures (conda-meta records, real packages).</summary>
public static class FixturePaths
{
    private const string EnvironmentVariable = "ENVSHIP_FIXTURES";
    private static readonly Lazy<string> _root = new(FindRoot);

    /// <summary>The <c>shared/fixtures</c> directory.</summary>
    public static string Root => _root.Value;

    /// <summary>The <c>real-conda-meta</c> directory inside <see cref="Root"/>.</summary>
    public static string RealCondaMeta => Path.Combine(Root, "real-conda-meta");

    /// <summary>The <c>real-packages</c> directory inside <see cref="Root"/>.</summary>
    public static string RealPackages => Path.Combine(Root, "real-packages");

    private static string FindRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            if (Directory.Exists(fromEnvironment))
                return Path.GetFullPath(fromEnvironment);
            throw new DirectoryNotFoundException(
                $"{EnvironmentVariable} is set to '{fromEnvironment}', which is not a directory.");
        }

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "shared", "fixtures");
            if (Directory.Exists(candidate))
                return candidate;
        }

        throw new DirectoryNotFoundException(
            $"Could not find 'shared/fixtures' in any parent of '{AppContext.BaseDirectory}'. " +
            $"Check the shared fixtures out beside the repository or set {EnvironmentVariable} to their path.");
    }
}
