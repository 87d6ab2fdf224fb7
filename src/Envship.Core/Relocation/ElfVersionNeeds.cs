using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Envship.Core.Relocation;

/// <summary>One symbol version an ELF file needs from a shared library, as <c>readelf -V</c> lists under <c>.gnu.version_r</c>.</summary>
public sealed record ElfVersionNeed(string Library, string Version);

/// <summary>
/// Reads the SHT_GNU_verneed section (<c>.gnu.version_r</c>): which symbol versions, such as <c>GLIBC_2.34</c>,
/// the dynamic linker must find. Malformed input yields null, because packing walks arbitrary files.
/// </summary>
public static class ElfVersionNeeds
{
    public const string GlibcPrefix = "GLIBC_";
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const int MaxSectionBytes = 16 << 20;
    private const int MaxRecords = 1 << 16;

    /// <summary>The highest <c>GLIBC_x.y</c> version the file needs, without the prefix ("2.34"); null when none or not ELF.</summary>
    public static string? TryReadGlibcFloor(Stream stream)
    {
        var needs = TryRead(stream);
        return needs is null ? null : GlibcVersions.Highest(needs.Select(n => n.Version));
    }

    public static IReadOnlyList<ElfVersionNeed>? TryRead(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead || !stream.CanSeek)
        {
            return null;
        }

        var file = new Reader(stream);
        var ident = new byte[64];
        if (!file.TryRead(0, ident.AsSpan(0, 52)) || !ElfReader.IsElf(ident) || ident[4] is not (1 or 2) || ident[5] is not (1 or 2))
        {
            return null;
        }

        var is64 = ident[4] == 2;
        file.BigEndian = ident[5] == 2;
        if (is64 && !file.TryRead(52, ident.AsSpan(52)))
        {
            return null;
        }

        var sectionOffset = is64 ? file.U64(ident, 40) : file.U32(ident, 32);
        int entrySize = file.U16(ident, is64 ? 58 : 46);
        long count = file.U16(ident, is64 ? 60 : 48);
        if (sectionOffset == 0 || entrySize < (is64 ? 64 : 40) || sectionOffset > (ulong)stream.Length)
        {
            return null;
        }

        var header = new byte[entrySize];
        if (count == 0)
        {
            // With 0xff00 sections or more, e_shnum is 0 and section header 0's sh_size holds the count.
            if (!file.TryRead((long)sectionOffset, header))
            {
                return null;
            }

            count = (long)Math.Min(is64 ? file.U64(header, 32) : file.U32(header, 20), MaxRecords);
        }

        for (long i = 0; i < count; i++)
        {
            if (!file.TryRead((long)sectionOffset + (i * entrySize), header))
            {
                return null;
            }

            if (file.U32(header, 4) != ShtGnuVerneed)
            {
                continue;
            }

            var section = ReadSection(file, header, is64);
            var link = file.U32(header, is64 ? 40 : 24);
            var strings = link < count && file.TryRead((long)sectionOffset + (link * entrySize), header) ? ReadSection(file, header, is64) : null;
            return section is null || strings is null ? null : Parse(file, section, strings);
        }

        return [];
    }

    private static byte[]? ReadSection(Reader file, byte[] header, bool is64)
    {
        var offset = is64 ? file.U64(header, 24) : file.U32(header, 16);
        var size = is64 ? file.U64(header, 32) : file.U32(header, 20);
        if (size > MaxSectionBytes || offset > long.MaxValue)
        {
            return null;
        }

        var data = new byte[size];
        return file.TryRead((long)offset, data) ? data : null;
    }

    // Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32. Vernaux: vna_hash u32,
    // vna_flags u16, vna_other u16, vna_name u32, vna_next u32. The layout is the same in ELF32 and ELF64.
    private static List<ElfVersionNeed>? Parse(Reader file, byte[] section, byte[] strings)
    {
        var needs = new List<ElfVersionNeed>();
        long at = 0;
        for (var records = 0; records < MaxRecords; records++)
        {
            if (at < 0 || at + 16 > section.Length)
            {
                return null;
            }

            var library = ReadString(strings, file.U32(section, (int)at + 4));
            var auxCount = file.U16(section, (int)at + 2);
            var aux = at + file.U32(section, (int)at + 8);
            for (var j = 0; j < auxCount; j++)
            {
                if (aux < 0 || aux + 16 > section.Length || library is null || ReadString(strings, file.U32(section, (int)aux + 8)) is not { } version)
                {
                    return null;
                }

                needs.Add(new ElfVersionNeed(library, version));
                aux += file.U32(section, (int)aux + 12);
            }

            var next = file.U32(section, (int)at + 12);
            if (next == 0)
            {
                return needs;
            }

            at += next;
        }

        return null;
    }

    private static string? ReadString(byte[] table, uint offset)
    {
        if (offset >= table.Length)
        {
            return null;
        }

        var length = table.AsSpan((int)offset).IndexOf((byte)0);
        return length < 0 ? null : Encoding.UTF8.GetString(table, (int)offset, length);
    }

    private sealed class Reader(Stream stream)
    {
        public bool BigEndian { get; set; }

        public bool TryRead(long offset, Span<byte> buffer)
        {
            if (offset < 0 || offset > stream.Length || buffer.Length > stream.Length - offset)
            {
                return false;
            }

            stream.Position = offset;
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) == buffer.Length;
        }

        public ushort U16(ReadOnlySpan<byte> data, int offset) =>
            BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(data[offset..]) : BinaryPrimitives.ReadUInt16LittleEndian(data[offset..]);

        public uint U32(ReadOnlySpan<byte> data, int offset) =>
            BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data[offset..]) : BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);

        public ulong U64(ReadOnlySpan<byte> data, int offset) =>
            BigEndian ? BinaryPrimitives.ReadUInt64BigEndian(data[offset..]) : BinaryPrimitives.ReadUInt64LittleEndian(data[offset..]);
    }
}

/// <summary>Dotted glibc versions ("2.2.5", "2.34") compared number by number, not as text.</summary>
public static class GlibcVersions
{
    /// <summary>The highest of the <c>GLIBC_x.y</c> names, without the prefix; private names such as <c>GLIBC_PRIVATE</c> are skipped.</summary>
    public static string? Highest(IEnumerable<string> versionNames)
    {
        ArgumentNullException.ThrowIfNull(versionNames);
        string? best = null;
        foreach (var name in versionNames)
        {
            if (!name.StartsWith(ElfVersionNeeds.GlibcPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var version = name[ElfVersionNeeds.GlibcPrefix.Length..];
            if (Parse(version) is not null && (best is null || Compare(version, best) > 0))
            {
                best = version;
            }
        }

        return best;
    }

    /// <summary>Negative, zero or positive like <see cref="string.CompareOrdinal(string, string)"/>; missing parts count as 0.</summary>
    public static int Compare(string left, string right)
    {
        var a = Parse(left) ?? throw new FormatException($"'{left}' is not a glibc version such as 2.34.");
        var b = Parse(right) ?? throw new FormatException($"'{right}' is not a glibc version such as 2.34.");
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var difference = (i < a.Length ? a[i] : 0).CompareTo(i < b.Length ? b[i] : 0);
            if (difference != 0)
            {
                return difference;
            }
        }

        return 0;
    }

    public static int[]? Parse(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var parts = version.Split('.');
        var numbers = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length == 0 || !parts[i].All(char.IsAsciiDigit) || !int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                return null;
            }
        }

        return numbers;
    }
}
