using Envship.Core.Conda;

namespace Envship.Core.Scanning;

/// <summary>
/// The scan that <c>pack</c> runs, shared with anything that must see a prefix as pack would (such as
/// <c>diff</c>): the package cache left out unless kept, conda-meta placeholders as hints, and the
/// cache paths in conda-meta records blanked unless they stay inside the packed tree.
/// </summary>
public static class PackScan
{
    public static ScanOptions Options(string prefix, InstallationLayout layout, IReadOnlyList<SurveyedEnvironment> environments, bool keepPackageCache)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(environments);
        var pkgs = Path.Combine(prefix, layout.PackageCacheRelativePath);
        var metaDirectories = environments.Select(e => EnvironmentSurvey.Join(e.RelativePath, CondaMeta.DirectoryName) + "/").ToList();
        bool Keep(string path) => PrefixInventory.IsInside(prefix, path) && (keepPackageCache || !PrefixInventory.IsInside(pkgs, path));
        return new ScanOptions
        {
            Prefix = prefix,
            ExcludedDirectories = layout.IsWholeInstallation && !keepPackageCache ? [layout.PackageCacheRelativePath] : [],
            Placeholders = EnvironmentSurvey.Placeholders(environments),
            IsRewriteCandidate = relative => relative.EndsWith(".json", StringComparison.Ordinal)
                && metaDirectories.Any(m => relative.StartsWith(m, StringComparison.Ordinal) && relative.IndexOf('/', m.Length) < 0),
            Rewrite = (_, bytes) => CondaRecordSanitizer.BlankCachePaths(bytes, Keep),
        };
    }
}
