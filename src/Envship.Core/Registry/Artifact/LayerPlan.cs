using Envship.Core.Conda;
using Envship.Core.Manifests;

namespace Envship.Core.Registry.Artifact;

public enum LayerKind
{
    Base,
    Conda,
    Pip,
}

/// <summary>A conda record of one environment: <see cref="EnvironmentPath"/> is empty for the root, <c>envs/NAME</c> otherwise.</summary>
public sealed record CondaLayerOwner(string EnvironmentPath, CondaPackageRecord Record)
{
    public string DistName => $"{Record.Name}-{Record.Version}-{Record.Build}";
}

/// <summary>A pip distribution: its <c>*.dist-info</c> directory and the files its RECORD lists, all archive paths.</summary>
public sealed record PipLayerOwner(string Name, string Version, string DistInfoPath, IReadOnlyList<string> Paths);

/// <summary>One layer to write: its title, annotations and members in the order they go into its tar.</summary>
/// <param name="Exports">The embedded exports (<c>.envship/…</c>), only in the base layer, written before its entries.</param>
public sealed record PlannedLayer(LayerKind Kind, string Title, IReadOnlyDictionary<string, string> Annotations, IReadOnlyList<ManifestMetadataFile> Exports, IReadOnlyList<ManifestEntry> Entries);

/// <summary>
/// Assigns every manifest entry to exactly one layer (docs/registry.md): the base first (exports,
/// every directory, whatever no record owns), then one layer per conda record in the order of
/// their names, then one per pip distribution no conda record owns. A path two owners list goes to
/// the first; a hard link goes after the file it links to, in that file's layer.
/// </summary>
public static class LayerPlan
{
    public static IReadOnlyList<PlannedLayer> Plan(Manifest manifest, IReadOnlyList<CondaLayerOwner> conda, IReadOnlyList<PipLayerOwner> pip)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(conda);
        ArgumentNullException.ThrowIfNull(pip);

        var owners = new List<(LayerKind Kind, string Title, Dictionary<string, string> Annotations, IEnumerable<string> Paths)>();
        foreach (var owner in conda.OrderBy(o => o.DistName, StringComparer.Ordinal).ThenBy(o => o.EnvironmentPath, StringComparer.Ordinal))
        {
            var annotations = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [OciAnnotations.Title] = "conda:" + owner.DistName,
                [OciAnnotations.CondaName] = owner.Record.Name,
                [OciAnnotations.CondaVersion] = owner.Record.Version,
                [OciAnnotations.CondaBuild] = owner.Record.Build,
            };
            owners.Add((LayerKind.Conda, "conda:" + owner.DistName, annotations, owner.Record.Files.Select(f => Join(owner.EnvironmentPath, f))));
        }

        var condaOwned = new HashSet<string>(owners.SelectMany(o => o.Paths), StringComparer.Ordinal);
        foreach (var owner in pip
            .Where(p => !condaOwned.Contains(p.DistInfoPath + "/RECORD") && !condaOwned.Contains(p.DistInfoPath + "/METADATA"))
            .OrderBy(p => PythonPackages.NormalizeName(p.Name), StringComparer.Ordinal)
            .ThenBy(p => p.Version, StringComparer.Ordinal)
            .ThenBy(p => p.DistInfoPath, StringComparer.Ordinal))
        {
            var title = $"pip:{owner.Name}-{owner.Version}";
            owners.Add((LayerKind.Pip, title, new Dictionary<string, string>(StringComparer.Ordinal) { [OciAnnotations.Title] = title }, owner.Paths));
        }

        // Layer 0 is the base; owner i is layer i + 1.
        var layerOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < owners.Count; i++)
        {
            foreach (var path in owners[i].Paths)
            {
                layerOf.TryAdd(path, i + 1);
            }
        }

        var entries = new List<ManifestEntry>[owners.Count + 1];
        var links = new List<ManifestEntry>[owners.Count + 1];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = [];
            links[i] = [];
        }

        var fileLayer = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in manifest.Entries)
        {
            if (entry.Type == EntryType.Hardlink)
            {
                continue;
            }

            var layer = entry.Type == EntryType.Directory ? 0 : layerOf.GetValueOrDefault(entry.Path, 0);
            entries[layer].Add(entry);
            if (entry.Type == EntryType.File)
            {
                fileLayer[entry.Path] = layer;
            }
        }

        foreach (var entry in manifest.Entries.Where(e => e.Type == EntryType.Hardlink))
        {
            links[entry.Target is { } target ? fileLayer.GetValueOrDefault(target, 0) : 0].Add(entry);
        }

        var result = new List<PlannedLayer>
        {
            new(LayerKind.Base, "base", new Dictionary<string, string>(StringComparer.Ordinal) { [OciAnnotations.Title] = "base" }, manifest.Metadata, [.. entries[0], .. links[0]]),
        };
        for (var i = 0; i < owners.Count; i++)
        {
            // A record whose files are all gone (or all listed first by another owner) has nothing to carry.
            if (entries[i + 1].Count + links[i + 1].Count > 0)
            {
                result.Add(new PlannedLayer(owners[i].Kind, owners[i].Title, owners[i].Annotations, [], [.. entries[i + 1], .. links[i + 1]]));
            }
        }

        return result;
    }

    private static string Join(string environmentPath, string path) => environmentPath.Length == 0 ? path : environmentPath + "/" + path;
}
