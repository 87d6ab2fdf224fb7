using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Scanning;

namespace Envship.Core.Pack;

/// <summary>
/// <c>--dest-prefix</c>: apply the deploy-time rules while packing, so the archive already names
/// the destination. Rewritten files are spooled to disk, then analysed afresh against the new prefix.
/// </summary>
internal static class PackTimeRelocation
{
    public static IReadOnlyList<InventoryItem> Apply(
        IReadOnlyList<InventoryItem> items,
        string prefix,
        string destination,
        IReadOnlyDictionary<string, PlaceholderHint> placeholders,
        string spoolDirectory,
        List<string> warnings)
    {
        var target = new RelocationTarget(prefix, destination);
        var pseudoManifest = new Manifest
        {
            EnvshipVersion = Deployer.EnvshipVersion,
            SourcePrefix = prefix,
            Platform = new ManifestPlatform("", "", ""),
            Created = DateTimeOffset.UnixEpoch,
            Root = new ManifestRoot(0, 0),
            Environments = [],
            Summary = new ManifestSummary(),
            Entries = [.. items.Select(i => i.Entry)],
        };
        warnings.AddRange(RelocationPlanner.Summarize(RelocationPlanner.FindUnfit(pseudoManifest, destination)).Select(w => w.Describe(destination)));
        var planned = RelocationPlanner.FindKept(pseudoManifest, destination);

        var analyzer = new FileAnalyzer(destination);
        var result = new List<InventoryItem>(items.Count);
        var counter = 0;
        foreach (var item in items)
        {
            if (item.Entry.Relocation is not { Kind: RelocationKind.Text or RelocationKind.Shebang or RelocationKind.Binary })
            {
                result.Add(item);
                continue;
            }

            var spooled = Path.Combine(spoolDirectory, (counter++).ToString(System.Globalization.CultureInfo.InvariantCulture));
            using (var source = TarArchiveWriter.OpenContent(item))
            using (var copy = File.Create(spooled))
            {
                source.CopyTo(copy);
            }

            FileRelocationApplier.Apply(spooled, item.Entry, target);
            placeholders.TryGetValue(item.Entry.Path, out var hint);
            FileAnalysis analysis;
            using (var stream = File.OpenRead(spooled))
            {
                analysis = analyzer.Analyze(stream, item.Entry.Path, hint);
            }

            warnings.AddRange(analysis.Warnings);
            result.Add(new InventoryItem(item.Entry with { Size = analysis.Size, Sha256 = analysis.Sha256, Relocation = analysis.Relocation }, null) { SpooledPath = spooled, GlibcFloor = analysis.GlibcFloor });
        }

        warnings.AddRange(target.Kept.MergeInto(planned).Select(k => k.Describe()));
        return result;
    }
}
