using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Relocation;

namespace Envship.Core.Pack;

/// <summary>Records on binary segments the constants stored as their tails, from the whole file's bytes.</summary>
internal static class SegmentTails
{
    /// <summary>
    /// The segments with every interior reference found in <paramref name="file"/> added to their
    /// <see cref="BinarySegment.SharedTails"/>; the same list when there is none or the file is not ELF.
    /// </summary>
    public static IReadOnlyList<BinarySegment> Attach(ReadOnlySpan<byte> file, IReadOnlyList<BinarySegment> segments)
    {
        if (segments.Count == 0 || !ElfReader.IsElf(file))
        {
            return segments;
        }

        var references = InteriorReferenceFinder.Find(file, [.. segments.Select(s => new ElfStringRegion(s.Offset, s.Length))]);
        if (references.Count == 0)
        {
            return segments;
        }

        var byRegion = references.ToLookup(r => r.RegionOffset);
        var result = new List<BinarySegment>(segments.Count);
        foreach (var segment in segments)
        {
            var found = byRegion[segment.Offset].Select(r => new SharedTail { Offset = r.TargetOffset, Text = r.Tail }).ToList();
            if (found.Count == 0)
            {
                result.Add(segment);
                continue;
            }

            var known = segment.SharedTails ?? [];
            result.Add(segment with
            {
                Value = segment.Value ?? InteriorReferenceFinder.ReadTail(file, segment.Offset),
                SharedTails = [.. known, .. found.Where(f => known.All(k => k.Offset != f.Offset))],
            });
        }

        return result;
    }

    /// <summary>Whether any segment may need <see cref="Attach"/>: only ELF files with prefix strings are examined.</summary>
    public static bool Applies(ReadOnlySpan<byte> header, IReadOnlyList<BinarySegment>? segments) =>
        segments is { Count: > 0 } && ElfReader.IsElf(header);
}
