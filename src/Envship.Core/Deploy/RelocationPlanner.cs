using System.Text;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Relocation;

namespace Envship.Core.Deploy;

/// <summary>A binary string that cannot hold the destination; left unchanged (or fatal under --strict).</summary>
public sealed record UnfitString(string Path, long Offset, SegmentKind Kind, int LongestDestinationThatFits);

/// <summary>Per-file summary of <see cref="UnfitString"/>s, as warnings and the receipt present them.</summary>
public sealed record RelocationWarning(string Path, int Strings, int LongestDestinationThatFits)
{
    public string Describe(string destination) =>
        $"{Path}: {Strings} binary string(s) cannot hold '{destination}' ({Encoding.UTF8.GetByteCount(destination)} bytes) and keep the old prefix; the longest destination that fits is {LongestDestinationThatFits} bytes.";
}

/// <summary>
/// Decides, from the manifest alone, what every relocation will do at a destination, so that
/// <c>--strict</c> can refuse before a single byte is written.
/// </summary>
public static class RelocationPlanner
{
    public static IReadOnlyList<UnfitString> FindUnfit(Manifest manifest, string destination)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var source = manifest.SourcePrefix;
        if (destination == source)
        {
            return [];
        }

        var sourceLength = Encoding.UTF8.GetByteCount(source);
        var destinationLength = Encoding.UTF8.GetByteCount(destination);
        var unfit = new List<UnfitString>();
        var target = new RelocationTarget(source, destination);
        foreach (var entry in manifest.Entries)
        {
            if (entry.Relocation is not { Kind: RelocationKind.Binary, Segments: { } segments })
            {
                continue;
            }

            foreach (var segment in segments)
            {
                if (!KeptString.RewriteKeepsTails(segment, entry.Path, target))
                {
                    continue;
                }

                var room = segment.Length - 1 - segment.StringLength;
                var longest = sourceLength + (room / Math.Max(1, segment.Occurrences));
                if (segment.Kind == SegmentKind.ElfRunpath)
                {
                    var directory = Path.GetDirectoryName(entry.Path) ?? "";
                    if (RunpathRewriter.Rewrite(segment.Value!, source, destination, directory, segment.Length - 1, preferOrigin: false) is null)
                    {
                        unfit.Add(new UnfitString(entry.Path, segment.Offset, segment.Kind, longest));
                    }
                }
                else if (segment.StringLength + (segment.Occurrences * (destinationLength - sourceLength)) > segment.Length - 1)
                {
                    unfit.Add(new UnfitString(entry.Path, segment.Offset, segment.Kind, longest));
                }
            }
        }

        return unfit;
    }

    /// <summary>The strings a deploy to <paramref name="destination"/> keeps unchanged because a constant shares their tail.</summary>
    public static IReadOnlyList<KeptString> FindKept(Manifest manifest, string destination)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var target = new RelocationTarget(manifest.SourcePrefix, destination);
        var kept = new List<KeptString>();
        foreach (var entry in manifest.Entries)
        {
            if (entry.Relocation is { Kind: RelocationKind.Binary, Segments: { } segments })
            {
                kept.AddRange(segments.Where(s => !KeptString.RewriteKeepsTails(s, entry.Path, target)).Select(s => KeptString.For(entry.Path, s, target)));
            }
        }

        return kept;
    }

    public static IReadOnlyList<RelocationWarning> Summarize(IEnumerable<UnfitString> unfit) =>
        [.. unfit.GroupBy(u => u.Path, StringComparer.Ordinal)
            .Select(g => new RelocationWarning(g.Key, g.Count(), g.Min(u => u.LongestDestinationThatFits)))];
}
