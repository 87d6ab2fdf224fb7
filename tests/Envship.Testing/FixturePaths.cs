namespace Envship.Testing;

/// <summary>
/// Locates the shared, read-only test data that lives beside the repository clone
/// (<c>/work/&lt;clone&gt;/</c> next to <c>/work/shared/fixtures</c>, same layout in CI).
/// </summary>
public static class FixturePaths
{
    private static readonly Lazy<string> _root = new(FindRoot);

    /// <summary>Absolute path of <c>shared/fixtures</c>.</summary>
    public static string Root => _root.Value;

    /// <summary>Absolute path of <c>shared/fixtures/real-conda-meta</c>.</summary>
    public static string RealCondaMeta => Path.Combine(Root, "real-conda-meta");

    /// <summary>Absolute path of <c>shared/fixtures/real-packages</c>.</summary>
    public static string RealPackages => Path.Combine(Root, "real-packages");

    private static string FindRoot()
    {
        var start = AppContext.BaseDirectory;
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "fixtures");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            $"Could not find a 'shared/fixtures' directory in any parent of '{start}'. "
            + "The test data must sit beside the repository clone (e.g. /work/shared/fixtures next to /work/<clone>).");
    }
}
