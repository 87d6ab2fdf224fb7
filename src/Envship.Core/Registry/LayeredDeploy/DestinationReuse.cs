using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Platform;
using Envship.Core.Hashing;

namespace Envship.Core.Registry.LayeredDeploy;

/// <summary>A member taken from DEST instead of a layer: for a file, the hash and size its receipt recorded as deployed.</summary>
internal sealed record ReusedMember(ManifestEntry Entry, string? DeployedSha256, long DeployedSize);

/// <summary>
/// Which layers the current deployment at DEST already holds, byte for byte as this deploy would write
/// them. A layer qualifies when DEST's layer record lists the same digest (so the same members with the
/// same archived bytes), DEST is the path the receipt names and the source prefix is the same (so
/// relocation writes the same bytes), every member's manifest entry matches the one deployed (type,
/// size, SHA-256, link target, relocation), and every file at DEST still hashes to what the receipt
/// recorded. Anything short of that, and the layer is fetched.
/// </summary>
internal static class DestinationReuse
{
    public static IReadOnlyDictionary<int, IReadOnlyList<ReusedMember>> Find(string destination, Manifest manifest, IReadOnlyList<OciDescriptor> layers, CancellationToken cancellationToken)
    {
        var none = new Dictionary<int, IReadOnlyList<ReusedMember>>();
        if (UnixFileSystem.TryStat(Path.Combine(destination, Receipt.RelativePath))?.Kind != UnixFileKind.RegularFile)
        {
            return none;
        }

        Receipt receipt;
        try
        {
            receipt = Receipt.Load(destination);
        }
        catch (EnvshipException)
        {
            return none;
        }

        var record = LayerRecord.Load(destination);
        if (receipt.Destination != destination || receipt.Manifest.SourcePrefix != manifest.SourcePrefix || record.Count == 0)
        {
            return none;
        }

        var deployed = receipt.Manifest.Entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
        var wanted = manifest.Entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
        var reusable = new Dictionary<int, IReadOnlyList<ReusedMember>>();
        // The base layer carries the directories and exports, and changes with every package's conda-meta: always read.
        for (var i = 1; i < layers.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (record.TryGetValue(layers[i].Digest, out var layer) && Members(destination, layer, wanted, deployed, receipt.Files) is { } members)
            {
                reusable[i] = members;
            }
        }

        return reusable;
    }

    private static List<ReusedMember>? Members(string destination, RecordedLayer layer, Dictionary<string, ManifestEntry> wanted, Dictionary<string, ManifestEntry> deployed, IReadOnlyDictionary<string, string> hashes)
    {
        var members = new List<ReusedMember>(layer.Paths.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in layer.Paths)
        {
            if (!wanted.TryGetValue(path, out var entry) || !deployed.TryGetValue(path, out var before) || !SameBytes(entry, before)
                || entry.Type == EntryType.Directory || !seen.Add(path))
            {
                return null;
            }

            switch (entry.Type)
            {
                case EntryType.File:
                    if (!hashes.TryGetValue(path, out var sha256) || HashOf(Path.Combine(destination, path)) is not { } found || found.Sha256 != sha256)
                    {
                        return null;
                    }

                    members.Add(new ReusedMember(entry, sha256, found.Size));
                    break;
                case EntryType.Hardlink when !seen.Contains(entry.Target!):
                    return null;
                default:
                    members.Add(new ReusedMember(entry, null, 0));
                    break;
            }
        }

        return members;
    }

    /// <summary>The same archived bytes, relocated the same way: what makes the deployed bytes the same.</summary>
    private static bool SameBytes(ManifestEntry wanted, ManifestEntry deployed) =>
        wanted.Type == deployed.Type && wanted.Size == deployed.Size && wanted.Sha256 == deployed.Sha256 && wanted.Target == deployed.Target
        && SameRelocation(wanted.Relocation, deployed.Relocation);

    private static bool SameRelocation(FileRelocation? a, FileRelocation? b) =>
        a is null || b is null
            ? a is null && b is null
            : a.Kind == b.Kind && a.Occurrences == b.Occurrences && (a.Segments ?? []).SequenceEqual(b.Segments ?? []);

    private static (string Sha256, long Size)? HashOf(string path)
    {
        if (UnixFileSystem.TryStat(path)?.Kind != UnixFileKind.RegularFile)
        {
            return null;
        }

        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            return (Sha256.HexOf(file), file.Length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
