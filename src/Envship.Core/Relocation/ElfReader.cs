using System.Buffers.Binary;
using System.Text;

namespace Envship.Core.Relocation;

/// <summary>
/// Reads DT_RPATH/DT_RUNPATH and friends from an ELF file (32/64-bit, either endianness).
/// Malformed input yields null rather than an exception, because packing walks arbitrary files.
/// </summary>
public static class ElfReader
{
    private const int PtLoad = 1;
    private const int PtDynamic = 2;
    private const long DtNull = 0;
    private const long DtNeeded = 1;
    private const long DtStrtab = 5;
    private const long DtStrsz = 10;
    private const long DtSoname = 14;
    private const long DtRpath = 15;
    private const long DtRunpath = 29;
    private const long DtConfig = 0x6ffffefa;
    private const long DtDepaudit = 0x6ffffefb;
    private const long DtAudit = 0x6ffffefc;
    private const long DtAuxiliary = 0x7ffffffd;
    private const long DtFilter = 0x7fffffff;
    private const ushort PnXnum = 0xffff;

    public static bool IsElf(ReadOnlySpan<byte> header) => header.StartsWith("\u007fELF"u8);

    public static ElfDynamicInfo? TryRead(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead || !stream.CanSeek)
        {
            return null;
        }

        var file = new Source(stream, stream.Length);
        Span<byte> header = stackalloc byte[64];
        if (!file.TryRead(0, header[..52]) || !IsElf(header) || header[4] is not (1 or 2) || header[5] is not (1 or 2))
        {
            return null;
        }

        var format = new Format(header[4] == 2, header[5] == 2);
        if (format.Is64 && !file.TryRead(52, header[52..]))
        {
            return null;
        }

        var segments = ReadSegments(file, format, header);
        if (segments is null || segments.Dynamic is not { } dynamic)
        {
            return null;
        }

        var entries = ReadDynamic(file, format, dynamic);
        return entries is null ? null : Interpret(file, format, format.U16(header, 18), segments.Loads, entries);
    }

    private static Segments? ReadSegments(Source file, Format format, ReadOnlySpan<byte> header)
    {
        var phoff = format.Word(header, format.Is64 ? 32 : 28);
        int entrySize = format.U16(header, format.Is64 ? 54 : 42);
        long count = format.U16(header, format.Is64 ? 56 : 44);
        if (count == PnXnum)
        {
            // With more than 0xfffe program headers the real count lives in section header 0's sh_info.
            Span<byte> info = stackalloc byte[4];
            var shoff = format.Word(header, format.Is64 ? 40 : 32);
            if (shoff > long.MaxValue || !file.TryRead((long)shoff + (format.Is64 ? 44 : 28), info))
            {
                return null;
            }

            count = format.U32(info, 0);
        }

        var tableSize = count * entrySize;
        if (entrySize < (format.Is64 ? 56 : 32) || phoff > (ulong)file.Length
            || tableSize > file.Length - (long)phoff || tableSize > int.MaxValue)
        {
            return null;
        }

        var table = new byte[tableSize];
        if (!file.TryRead((long)phoff, table))
        {
            return null;
        }

        var loads = new List<Segment>();
        Segment? dynamic = null;
        for (var i = 0; i < count; i++)
        {
            var entry = table.AsSpan(i * entrySize, entrySize);
            var type = format.U32(entry, 0);
            var segment = format.Is64
                ? new Segment(format.Word(entry, 8), format.Word(entry, 16), format.Word(entry, 32))
                : new Segment(format.Word(entry, 4), format.Word(entry, 8), format.Word(entry, 16));
            if (type == PtLoad)
            {
                loads.Add(segment);
            }
            else if (type == PtDynamic && dynamic is null)
            {
                dynamic = segment;
            }
        }

        return new Segments(loads, dynamic);
    }

    private static List<(long Tag, ulong Value)>? ReadDynamic(Source file, Format format, Segment dynamic)
    {
        if (dynamic.Offset > (ulong)file.Length)
        {
            return null;
        }

        var size = (int)Math.Min(Math.Min(dynamic.FileSize, (ulong)file.Length - dynamic.Offset), int.MaxValue);
        var entrySize = format.Is64 ? 16 : 8;
        var table = new byte[size - (size % entrySize)];
        if (!file.TryRead((long)dynamic.Offset, table))
        {
            return null;
        }

        var entries = new List<(long Tag, ulong Value)>();
        for (var at = 0; at < table.Length; at += entrySize)
        {
            var entry = table.AsSpan(at, entrySize);
            var tag = format.Is64 ? (long)format.Word(entry, 0) : (int)format.U32(entry, 0);
            if (tag == DtNull)
            {
                break;
            }

            entries.Add((tag, format.Word(entry, entrySize / 2)));
        }

        return entries;
    }

    private static ElfDynamicInfo? Interpret(
        Source file, Format format, ushort machine, List<Segment> loads, List<(long Tag, ulong Value)> entries)
    {
        ulong? address = null;
        ulong? declaredSize = null;
        foreach (var (tag, value) in entries)
        {
            if (tag == DtStrtab)
            {
                address ??= value;
            }
            else if (tag == DtStrsz)
            {
                declaredSize ??= value;
            }
        }

        var strings = entries.Where(e => IsStringTag(e.Tag)).ToList();
        if (strings.Count == 0)
        {
            return new ElfDynamicInfo(format.Is64, machine, [], [], []);
        }

        if (address is not { } vaddr || declaredSize is not { } strsz
            || MapAddress(loads, vaddr) is not { } tableOffset || tableOffset > (ulong)file.Length)
        {
            return null;
        }

        var size = (int)Math.Min(Math.Min(strsz, (ulong)file.Length - tableOffset), int.MaxValue);
        var table = new byte[size];
        if (!file.TryRead((long)tableOffset, table))
        {
            return null;
        }

        var other = new List<long>();
        var needed = new List<string>();
        var found = new List<(ElfRunpathTag Tag, int Index, int Length)>();
        foreach (var (tag, value) in strings)
        {
            if (value >= (ulong)table.Length)
            {
                return null;
            }

            var index = (int)value;
            var length = table.AsSpan(index).IndexOf((byte)0);
            if (length < 0)
            {
                return null;
            }

            if (tag is DtRpath or DtRunpath)
            {
                found.Add((tag == DtRpath ? ElfRunpathTag.RPath : ElfRunpathTag.RunPath, index, length));
                continue;
            }

            other.Add((long)tableOffset + index);
            if (tag == DtNeeded)
            {
                needed.Add(Encoding.UTF8.GetString(table, index, length));
            }
        }

        var referenced = new HashSet<int>(strings.Select(s => (int)s.Value));
        var runpaths = found.ConvertAll(f => new ElfRunpathEntry(
            f.Tag,
            (long)tableOffset + f.Index,
            Encoding.UTF8.GetString(table, f.Index, f.Length),
            RegionLength(table, f.Index, f.Length, referenced)));
        return new ElfDynamicInfo(format.Is64, machine, runpaths, needed, other);
    }

    // Padding is usable only until the first byte some other reference reads as its own (empty) string.
    private static int RegionLength(byte[] table, int index, int length, HashSet<int> referenced)
    {
        var end = index + length + 1;
        while (end < table.Length && table[end] == 0 && !referenced.Contains(end))
        {
            end++;
        }

        return end - index;
    }

    private static ulong? MapAddress(List<Segment> loads, ulong address)
    {
        foreach (var load in loads)
        {
            if (address >= load.Address && address - load.Address < load.FileSize)
            {
                var offset = load.Offset + (address - load.Address);
                return offset >= load.Offset ? offset : null;
            }
        }

        return null;
    }

    private static bool IsStringTag(long tag) =>
        tag is DtNeeded or DtSoname or DtRpath or DtRunpath or DtConfig or DtDepaudit or DtAudit or DtAuxiliary or DtFilter;

    private sealed record Segment(ulong Offset, ulong Address, ulong FileSize);

    private sealed record Segments(List<Segment> Loads, Segment? Dynamic);

    private readonly record struct Format(bool Is64, bool BigEndian)
    {
        public ushort U16(ReadOnlySpan<byte> data, int offset) => BigEndian
            ? BinaryPrimitives.ReadUInt16BigEndian(data[offset..])
            : BinaryPrimitives.ReadUInt16LittleEndian(data[offset..]);

        public uint U32(ReadOnlySpan<byte> data, int offset) => BigEndian
            ? BinaryPrimitives.ReadUInt32BigEndian(data[offset..])
            : BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);

        /// <summary>An address/offset/size field: 4 bytes in ELF32, 8 in ELF64.</summary>
        public ulong Word(ReadOnlySpan<byte> data, int offset)
        {
            if (!Is64)
            {
                return U32(data, offset);
            }

            return BigEndian
                ? BinaryPrimitives.ReadUInt64BigEndian(data[offset..])
                : BinaryPrimitives.ReadUInt64LittleEndian(data[offset..]);
        }
    }

    private readonly record struct Source(Stream Stream, long Length)
    {
        public bool TryRead(long offset, Span<byte> buffer)
        {
            if (offset < 0 || offset > Length || buffer.Length > Length - offset)
            {
                return false;
            }

            Stream.Position = offset;
            return Stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) == buffer.Length;
        }
    }
}
