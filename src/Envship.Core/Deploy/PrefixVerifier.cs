using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Scanning;

namespace Envship.Core.Deploy;

public sealed record DriftItem(string Path, string Reason);

public sealed record DriftReport(string Prefix, int Checked, IReadOnlyList<DriftItem> Modified, IReadOnlyList<string> Missing, IReadOnlyList<string> Added)
{
    public bool IsClean => Modified.Count == 0 && Missing.Count == 0 && Added.Count == 0;
}

/// <summary>
/// Compares a deployed prefix with its receipt. Byte-compiled caches that Python writes on first
/// import (<c>__pycache__</c>) are not drift; everything else that differs is.
/// </summary>
public static class PrefixVerifier
{
    public static DriftReport Verify(string prefix, int jobs = 0, CancellationToken cancellationToken = default)
    {
        prefix = Deployer.NormalizePrefix(prefix);
        var receipt = Receipt.Load(prefix);
        var actual = PrefixInventory.Scan(
            new ScanOptions { Prefix = prefix, Jobs = jobs > 0 ? jobs : Environment.ProcessorCount },
            cancellationToken).Items.ToDictionary(i => i.Entry.Path, i => i.Entry, StringComparer.Ordinal);

        var expected = receipt.Manifest.Entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
        foreach (var added in receipt.AddedFiles)
        {
            // Mode 0: envship wrote these itself, so only their content is checked.
            expected[added] = new ManifestEntry { Path = added, Type = EntryType.File, Mode = 0, MtimeNs = 0 };
        }

        var modified = new List<DriftItem>();
        var missing = new List<string>();
        foreach (var (path, entry) in expected)
        {
            if (!actual.TryGetValue(path, out var found))
            {
                missing.Add(path);
                continue;
            }

            if (Difference(entry, found, receipt, actual) is { } reason)
            {
                modified.Add(new DriftItem(path, reason));
            }
        }

        // A deploy of an environment without bin/ creates it for the activation scripts.
        var madeForAddedFiles = receipt.AddedFiles.SelectMany(ParentDirectories).ToHashSet(StringComparer.Ordinal);
        var addedPaths = actual.Keys
            .Where(p => !expected.ContainsKey(p) && !madeForAddedFiles.Contains(p) && !IsBytecodeCache(p))
            .Order(StringComparer.Ordinal)
            .ToList();
        missing.Sort(StringComparer.Ordinal);
        return new DriftReport(prefix, expected.Count, modified, missing, addedPaths);
    }

    private static IEnumerable<string> ParentDirectories(string path)
    {
        for (var slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
        {
            yield return path[..slash];
        }
    }

    private static string? Difference(ManifestEntry expected, ManifestEntry found, Receipt receipt, Dictionary<string, ManifestEntry> actual)
    {
        var expectedKind = expected.Type == EntryType.Hardlink ? EntryType.File : expected.Type;
        var foundKind = found.Type == EntryType.Hardlink ? EntryType.File : found.Type;
        if (expectedKind != foundKind)
        {
            return $"was a {Describe(expectedKind)}, is now a {Describe(foundKind)}";
        }

        switch (expectedKind)
        {
            case EntryType.Symlink when expected.Target != found.Target:
                return $"symlink target changed from '{expected.Target}' to '{found.Target}'";
            case EntryType.File:
                var want = receipt.Files.GetValueOrDefault(expected.Path);
                var have = found.Type == EntryType.Hardlink ? actual.GetValueOrDefault(found.Target!)?.Sha256 : found.Sha256;
                if (want is not null && want != have)
                {
                    return "content changed (sha256 differs)";
                }

                break;
        }

        if (expectedKind != EntryType.Symlink && expected.Mode != 0 && (expected.Mode & 0xFFF) != (found.Mode & 0xFFF))
        {
            return $"mode changed from {Convert.ToString(expected.Mode & 0xFFF, 8)} to {Convert.ToString(found.Mode & 0xFFF, 8)}";
        }

        return null;
    }

    private static string Describe(EntryType type) => type switch
    {
        EntryType.Directory => "directory",
        EntryType.Symlink => "symlink",
        _ => "file",
    };

    private static bool IsBytecodeCache(string path) =>
        path.EndsWith("/__pycache__", StringComparison.Ordinal) || path.Contains("/__pycache__/", StringComparison.Ordinal) || path.StartsWith("__pycache__", StringComparison.Ordinal);
}
