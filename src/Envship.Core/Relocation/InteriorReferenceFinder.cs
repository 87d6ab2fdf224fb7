using System.Text;

namespace Envship.Core.Relocation;

/// <summary>A string relocation may rewrite: the file offset of its first byte and the bytes it may write (string, NUL and padding).</summary>
public readonly record struct ElfStringRegion(long Offset, int Length);

/// <summary>Something in the file points at <paramref name="TargetOffset"/>, past the first byte of the region at <paramref name="RegionOffset"/>.</summary>
/// <param name="Tail">The string read from the target, as it is now ("3.11.7"; "" for a terminator).</param>
public sealed record InteriorReference(long RegionOffset, long TargetOffset, string Tail);

/// <summary>
/// Finds references into the middle of strings. Linkers merge string constants: with <c>gcc -O2</c>,
/// <c>"3.11.7"</c> is stored as the last bytes of <c>"/opt/py/3.11.7"</c>, and rewriting the long string
/// for a path of another length corrupts the short one. Looked for: absolute pointers in data (which
/// covers REL, RELR and non-PIE pointers, and RELATIVE addends), RELA symbol+addend, dynamic-string
/// offsets (tags, symbol and version names share <c>.dynstr</c>), x86-64 RIP-relative operands and
/// AArch64 <c>adr</c>/<c>adrp</c> pairs. Over-reporting is allowed, missing one is not; files that are
/// not 64-bit little-endian ELF are not examined.
/// </summary>
public static partial class InteriorReferenceFinder
{
    private const int MaxTailBytes = 200;
    private const long DtStrtab = 5;
    private const long DtStrsz = 10;

    public static IReadOnlyList<InteriorReference> Find(ReadOnlySpan<byte> file, IReadOnlyList<ElfStringRegion> regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        if (regions.Count == 0 || ElfImage.TryParse(file) is not { } image)
        {
            return [];
        }

        var found = new SortedSet<(long Region, long Target)>();
        var byAddress = new List<(ulong Base, int Length, long Offset)>();
        var byName = new List<(ulong Base, int Length, long Offset)>();
        var strings = StringTable(image);
        foreach (var region in regions)
        {
            if (region.Length < 2)
            {
                continue;
            }

            if (strings is { } table && region.Offset >= table.Offset && region.Offset + region.Length <= table.Offset + table.Size)
            {
                byName.Add(((ulong)(region.Offset - table.Offset), region.Length, region.Offset));
            }
            else if (image.AddressOf(region.Offset) is { } address)
            {
                byAddress.Add((address, region.Length, region.Offset));
            }
        }

        var names = new IntervalTable(byName, found);
        var addresses = new IntervalTable(byAddress, found);
        if (names.Count > 0)
        {
            ScanNameReferences(file, image, names);
        }

        if (addresses.Count > 0)
        {
            ScanDataWords(file, image, addresses);
            ScanRela(file, image, addresses);
            ScanCode(file, image, addresses);
        }

        var references = new List<InteriorReference>(found.Count);
        foreach (var (region, target) in found)
        {
            references.Add(new InteriorReference(region, target, ReadTail(file, target)));
        }

        return references;
    }

    /// <summary>The text at an offset up to its NUL, with bytes that are not printable ASCII shown as <c>\xNN</c>.</summary>
    internal static string ReadTail(ReadOnlySpan<byte> file, long offset)
    {
        var rest = ElfImage.Slice(file, (ulong)offset, MaxTailBytes);
        var end = rest.IndexOf((byte)0);
        var text = end < 0 ? rest : rest[..end];
        var builder = new StringBuilder(text.Length);
        foreach (var b in text)
        {
            builder.Append(b is >= 0x20 and < 0x7f and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:x2}");
        }

        return end < 0 ? builder.Append("...").ToString() : builder.ToString();
    }

    private static (long Offset, long Size)? StringTable(ElfImage image)
    {
        if (!image.Dynamic.TryGetValue(DtStrtab, out var address) || !image.Dynamic.TryGetValue(DtStrsz, out var size)
            || image.OffsetOf(address) is not { } offset || size > long.MaxValue)
        {
            return null;
        }

        return (offset, (long)size);
    }

    // Allocated data, 8-byte aligned: pointers initialised in place, RELA addends in .rela.dyn, symbol values.
    private static void ScanDataWords(ReadOnlySpan<byte> file, ElfImage image, IntervalTable addresses)
    {
        foreach (var (offset, address, size) in DataRanges(image))
        {
            var bytes = ElfImage.Slice(file, offset, size);
            var skip = (int)((8 - (address % 8)) % 8);
            for (var at = skip; at + 8 <= bytes.Length; at += 8)
            {
                addresses.Check(ElfImage.U64(bytes, at));
            }
        }
    }

    private static IEnumerable<(ulong Offset, ulong Address, ulong Size)> DataRanges(ElfImage image)
    {
        if (image.Sections.Count == 0)
        {
            return image.Loads.Select(l => (l.Offset, l.Address, l.FileSize));
        }

        // Hash tables, version records, .dynamic and .dynsym hold sizes and indexes that would pass for low addresses.
        return image.Sections
            .Where(s => s.IsInFile && (s.Flags & ElfImage.FlagAlloc) != 0 && (s.Flags & ElfImage.FlagExecute) == 0
                && s.Type is ElfImage.SectionProgBits or ElfImage.SectionRela or ElfImage.SectionRel or ElfImage.SectionRelr
                    or (>= ElfImage.SectionInitArray and <= ElfImage.SectionPreinitArray))
            .Select(s => (s.Offset, s.Address, s.Size));
    }

    private static void ScanRela(ReadOnlySpan<byte> file, ElfImage image, IntervalTable addresses)
    {
        const long dtRela = 7, dtRelaSize = 8, dtSymtab = 6, dtJmpRel = 23, dtPltRelSize = 2, dtPltRel = 20;
        var symbols = image.Dynamic.TryGetValue(dtSymtab, out var symtab) ? image.OffsetOf(symtab) : null;
        var tables = new List<(ulong Address, ulong Size)>();
        if (image.Dynamic.TryGetValue(dtRela, out var rela) && image.Dynamic.TryGetValue(dtRelaSize, out var relaSize))
        {
            tables.Add((rela, relaSize));
        }

        if (image.Dynamic.TryGetValue(dtJmpRel, out var jmp) && image.Dynamic.TryGetValue(dtPltRelSize, out var jmpSize)
            && image.Dynamic.TryGetValue(dtPltRel, out var kind) && kind == dtRela)
        {
            tables.Add((jmp, jmpSize));
        }

        foreach (var (address, size) in tables)
        {
            if (image.OffsetOf(address) is not { } offset)
            {
                continue;
            }

            var entries = ElfImage.Slice(file, (ulong)offset, size);
            for (var at = 0; at + 24 <= entries.Length; at += 24)
            {
                var symbol = ElfImage.U64(entries, at + 8) >> 32;
                var value = ElfImage.U64(entries, at + 16);
                if (symbol != 0 && symbols is { } table && symbol < int.MaxValue / 24)
                {
                    var entry = ElfImage.Slice(file, (ulong)table + (symbol * 24), 24);
                    value += entry.Length == 24 ? ElfImage.U64(entry, 8) : 0;
                }

                addresses.Check(value);
            }
        }
    }

    /// <summary>Sorted, disjoint intervals (first byte excluded) over addresses or string-table indexes.</summary>
    private sealed class IntervalTable
    {
        private readonly (ulong Low, ulong High, ulong Base, long Offset)[] _intervals;
        private readonly SortedSet<(long Region, long Target)> _found;

        public IntervalTable(List<(ulong Base, int Length, long Offset)> regions, SortedSet<(long Region, long Target)> found)
        {
            _intervals = [.. regions.Select(r => (r.Base + 1, r.Base + (ulong)r.Length, r.Base, r.Offset)).OrderBy(i => i.Item1)];
            _found = found;
            Low = _intervals.Length == 0 ? ulong.MaxValue : _intervals[0].Low;
            High = _intervals.Length == 0 ? 0 : _intervals.Max(i => i.High);
        }

        public int Count => _intervals.Length;

        /// <summary>Smallest value inside any interval.</summary>
        public ulong Low { get; }

        /// <summary>One past the largest value inside any interval.</summary>
        public ulong High { get; }

        public void Check(ulong value)
        {
            if (value >= Low && value < High)
            {
                CheckRange(value, value);
            }
        }

        /// <summary>Records the first interior byte in [<paramref name="first"/>, <paramref name="last"/>], if any.</summary>
        public void CheckRange(ulong first, ulong last)
        {
            if (last < Low || first >= High)
            {
                return;
            }

            // The first interval whose end lies past 'first'; intervals are disjoint, so ends are sorted too.
            int lo = 0, hi = _intervals.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                if (_intervals[mid].High <= first)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            if (lo < _intervals.Length && _intervals[lo].Low <= last)
            {
                var interval = _intervals[lo];
                var target = Math.Max(first, interval.Low);
                _found.Add((interval.Offset, interval.Offset + (long)(target - interval.Base)));
            }
        }
    }
}
