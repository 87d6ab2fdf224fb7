using Envship.Core.Archive;
using Envship.Core.Conda;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Diff;

/// <summary>Compares two archives, two prefixes, or one of each: packages, pip distributions and files.</summary>
public static class EnvironmentDiff
{
    public static DiffReport Compare(string a, string b, int jobs = 0, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(a);
        ArgumentException.ThrowIfNullOrEmpty(b);
        jobs = jobs > 0 ? jobs : Environment.ProcessorCount;
        var left = DiffSide.Load(a, jobs, cancellationToken);
        var right = DiffSide.Load(b, jobs, cancellationToken);
        var files = CompareFiles(left.Entries, right.Entries);
        return new DiffReport(
            a,
            b,
            ComparePackages(left.Environments, right.Environments, e => e.CondaPackages.Select(p => (p.Name, p.Name, p.Version, (string?)p.Build))),
            ComparePackages(left.Environments, right.Environments, e => e.PipDistributions.Select(d => (PythonPackages.NormalizeName(d.Name), d.Name, d.Version, (string?)null))),
            files,
            new FileTotals(
                files.Count(f => f.Kind == ChangeKind.Added),
                files.Where(f => f.Kind == ChangeKind.Added).Sum(f => f.NewSize),
                files.Count(f => f.Kind == ChangeKind.Removed),
                files.Where(f => f.Kind == ChangeKind.Removed).Sum(f => f.OldSize),
                files.Count(f => f.Kind == ChangeKind.Changed),
                files.Where(f => f.Kind == ChangeKind.Changed).Sum(f => f.OldSize),
                files.Where(f => f.Kind == ChangeKind.Changed).Sum(f => f.NewSize)));
    }

    private static List<PackageChange> ComparePackages(
        IReadOnlyList<ManifestEnvironment> left,
        IReadOnlyList<ManifestEnvironment> right,
        Func<ManifestEnvironment, IEnumerable<(string Key, string Name, string Version, string? Build)>> select)
    {
        var before = Index(left, select);
        var after = Index(right, select);
        var changes = new List<PackageChange>();
        foreach (var key in before.Keys.Union(after.Keys).Order())
        {
            var had = before.TryGetValue(key, out var old);
            var has = after.TryGetValue(key, out var now);
            if (had && has && (old.Version != now.Version || old.Build != now.Build))
            {
                changes.Add(new PackageChange(key.Environment, now.Name, ChangeKind.Changed, old.Version, old.Build, now.Version, now.Build));
            }
            else if (had && !has)
            {
                changes.Add(new PackageChange(key.Environment, old.Name, ChangeKind.Removed, old.Version, old.Build, null, null));
            }
            else if (!had && has)
            {
                changes.Add(new PackageChange(key.Environment, now.Name, ChangeKind.Added, null, null, now.Version, now.Build));
            }
        }

        return changes;
    }

    private static Dictionary<(string Environment, string Key), (string Name, string Version, string? Build)> Index(
        IReadOnlyList<ManifestEnvironment> environments,
        Func<ManifestEnvironment, IEnumerable<(string Key, string Name, string Version, string? Build)>> select)
    {
        var index = new Dictionary<(string, string), (string, string, string?)>();
        foreach (var environment in environments)
        {
            foreach (var (key, name, version, build) in select(environment))
            {
                index.TryAdd((environment.Path, key), (name, version, build));
            }
        }

        return index;
    }

    // Directories carry no content; only their children count as changes.
    private static List<FileChange> CompareFiles(IReadOnlyList<ManifestEntry> left, IReadOnlyList<ManifestEntry> right)
    {
        var before = left.Where(e => e.Type != EntryType.Directory).ToDictionary(e => e.Path, StringComparer.Ordinal);
        var after = right.Where(e => e.Type != EntryType.Directory).ToDictionary(e => e.Path, StringComparer.Ordinal);
        var changes = new List<FileChange>();
        foreach (var path in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var had = before.TryGetValue(path, out var old);
            var has = after.TryGetValue(path, out var now);
            if (had && has)
            {
                if (old!.Type != now!.Type || old.Sha256 != now.Sha256 || old.Size != now.Size || old.Target != now.Target)
                {
                    changes.Add(new FileChange(path, ChangeKind.Changed, old.Size, now.Size));
                }
            }
            else if (had)
            {
                changes.Add(new FileChange(path, ChangeKind.Removed, old!.Size, 0));
            }
            else
            {
                changes.Add(new FileChange(path, ChangeKind.Added, 0, now!.Size));
            }
        }

        return changes;
    }
}
