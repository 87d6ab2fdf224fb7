using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using System.Text;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Relocation;

namespace Envship.Core.Deploy;

/// <summary>
/// A binary string left unchanged because another constant is stored as its tail, and rewriting it
/// would change that constant. <paramref name="Tails"/> names the constants as messages quote them.
/// </summary>
/// <param name="SameLengthKeeps">Whether a destination as long as the source would leave the tails intact.</param>
public sealed record KeptString(string Path, long Offset, string Value, string Tails, [property: JsonIgnore] bool SameLengthKeeps = false)
{
    public string Describe() =>
        $"{Path}: kept the string '{Value}' unchanged: its tail {Tails} is also used as a separate constant, so rewriting it would corrupt that constant. Programs may still look for files under the old prefix.";

    /// <summary>
    /// Whether rewriting <paramref name="segment"/> for <paramref name="target"/> leaves every shared tail
    /// reading what it read before. Planning and patching both ask this, so they agree.
    /// </summary>
    internal static bool RewriteKeepsTails(BinarySegment segment, string relativePath, RelocationTarget target)
    {
        if (segment.SharedTails is not { Count: > 0 } tails || target.IsIdentity)
        {
            return true;
        }

        if (segment.Kind == SegmentKind.CString)
        {
            return tails.All(t => SharedTailRule.CStringKeeps(
                segment.StringLength, segment.Occurrences, target.Source.Length, target.Destination.Length, t.Offset - segment.Offset));
        }

        var directory = System.IO.Path.GetDirectoryName(relativePath) ?? "";
        var rewritten = RunpathRewriter.Rewrite(segment.Value!, target.SourcePrefix, target.DestinationPrefix, directory, segment.Length - 1, preferOrigin: false);
        if (rewritten is null)
        {
            return true;
        }

        var before = new byte[segment.Length];
        var after = new byte[segment.Length];
        Encoding.UTF8.GetBytes(segment.Value!, before);
        Encoding.UTF8.GetBytes(rewritten, after);
        return tails.All(t => SharedTailRule.BytesKeep(before, after, (int)(t.Offset - segment.Offset)));
    }

    // Value and tails come from the manifest, so control characters are shown escaped rather than sent to a terminal.
    internal static KeptString For(string relativePath, BinarySegment segment, RelocationTarget target)
    {
        var sameLength = new RelocationTarget(target.SourcePrefix, "/" + new string('_', Math.Max(1, target.Source.Length - 1)));
        return new(
            relativePath,
            segment.Offset,
            Printable(segment.Value ?? ""),
            Printable(SharedTail.Describe(segment.SharedTails ?? [])),
            RewriteKeepsTails(segment, relativePath, sameLength));
    }

    private static string Printable(string text) =>
        text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString())) : text;
}

/// <summary>The strings a deploy kept, collected from the workers that patch files.</summary>
public sealed class KeptStringLog
{
    private readonly ConcurrentQueue<KeptString> _kept = new();

    public void Add(KeptString kept) => _kept.Enqueue(kept);

    /// <summary>The strings in <paramref name="planned"/> followed by any others logged, each once, by file and offset.</summary>
    public IReadOnlyList<KeptString> MergeInto(IReadOnlyList<KeptString> planned)
    {
        var seen = planned.Select(k => (k.Path, k.Offset)).ToHashSet();
        return [.. planned, .. _kept.OrderBy(k => k.Path, StringComparer.Ordinal).ThenBy(k => k.Offset).Where(k => seen.Add((k.Path, k.Offset)))];
    }
}
