namespace Envship.Core.Relocation;

/// <summary>References made by instructions and by offsets into the dynamic string table.</summary>
public static partial class InteriorReferenceFinder
{
    // How far after an adrp the instruction adding the low 12 bits may come; compilers schedule them apart.
    private const int AdrpWindow = 16;
    private const int MaxVersionRecords = 1 << 16;

    private static void ScanCode(ReadOnlySpan<byte> file, ElfImage image, IntervalTable addresses)
    {
        var ranges = image.Sections.Count == 0
            ? image.Loads.Where(l => l.Executable).Select(l => (l.Offset, l.Address, l.FileSize))
            : image.Sections.Where(s => s.IsInFile && (s.Flags & ElfImage.FlagExecute) != 0).Select(s => (s.Offset, s.Address, s.Size));
        foreach (var (offset, address, size) in ranges)
        {
            var code = ElfImage.Slice(file, offset, size);
            if (image.Machine == ElfImage.MachineX86_64)
            {
                ScanX86_64(code, address, image.Type == ElfImage.TypeExecutable, addresses);
            }
            else if (image.Machine == ElfImage.MachineAarch64)
            {
                ScanAarch64(code, address, addresses);
            }
        }
    }

    /// <summary>
    /// Every disp32 behind a ModRM byte with mod=00, rm=101 (RIP-relative) is taken as an operand,
    /// without decoding. The target is relative to the instruction's end: right after the displacement,
    /// or up to 4 bytes later when an immediate follows, so for an opcode that may take one the whole
    /// span of targets is checked. (Checking it always would flag every <c>lea</c> of a string's start.)
    /// A non-PIE executable also names addresses as 32-bit immediates, so there every word is checked.
    /// </summary>
    private static void ScanX86_64(ReadOnlySpan<byte> code, ulong address, bool absolute, IntervalTable addresses)
    {
        for (var at = 1; at + 4 <= code.Length; at++)
        {
            if (absolute)
            {
                addresses.Check(ElfImage.U32(code, at));
            }

            if ((code[at - 1] & 0xC7) != 0x05)
            {
                continue;
            }

            var displacement = (long)(int)ElfImage.U32(code, at);
            var end = address + (ulong)at + 4 + (ulong)displacement;
            addresses.CheckRange(end, MayHaveImmediate(code, at - 1) ? end + 4 : end);
        }
    }

    /// <summary>Whether the instruction whose ModRM byte is at <paramref name="modrm"/> may end in an immediate.</summary>
    private static bool MayHaveImmediate(ReadOnlySpan<byte> code, int modrm)
    {
        int b1 = Before(code, modrm, 1), b2 = Before(code, modrm, 2), b3 = Before(code, modrm, 3), b4 = Before(code, modrm, 4);
        if (b1 is 0x69 or 0x6B or 0x80 or 0x81 or 0x83 or 0xC0 or 0xC1 or 0xC6 or 0xC7 or 0xF6 or 0xF7)
        {
            return true;
        }

        var twoByteWithImmediate = b1 is >= 0x70 and <= 0x73 or 0xA4 or 0xAC or 0xBA or 0xC2 or 0xC4 or 0xC5 or 0xC6;
        return (b2 == 0x0F && twoByteWithImmediate)
            || (b3 == 0x0F && b2 == 0x3A)
            || (b3 == 0xC4 && ((b2 & 0x1F) == 3 || twoByteWithImmediate))
            || (b2 == 0xC5 && twoByteWithImmediate)
            || (b4 == 0x62 && (b3 & 3) == 3);
    }

    private static int Before(ReadOnlySpan<byte> code, int at, int back) => at - back >= 0 ? code[at - back] : -1;

    /// <summary><c>adr</c>, and <c>adrp</c> followed by an <c>add</c> or load/store of the low 12 bits on the same register.</summary>
    private static void ScanAarch64(ReadOnlySpan<byte> code, ulong address, IntervalTable addresses)
    {
        var skip = (int)((4 - (address % 4)) % 4);
        for (var at = skip; at + 4 <= code.Length; at += 4)
        {
            var instruction = ElfImage.U32(code, at);
            var pc = address + (ulong)at;
            if ((instruction & 0x9F000000) == 0x10000000)
            {
                addresses.Check(pc + (ulong)PcRelative(instruction));
                continue;
            }

            if ((instruction & 0x9F000000) != 0x90000000)
            {
                continue;
            }

            var page = (pc & ~0xFFFUL) + (ulong)(PcRelative(instruction) << 12);
            var register = instruction & 0x1F;
            for (var next = at + 4; next + 4 <= code.Length && next <= at + (4 * AdrpWindow); next += 4)
            {
                var low = ElfImage.U32(code, next);
                if (((low >> 5) & 0x1F) == register && LowBits(low) is { } offset)
                {
                    addresses.Check(page + offset);
                }
            }
        }
    }

    private static long PcRelative(uint instruction)
    {
        var value = (long)((((instruction >> 5) & 0x7FFFF) << 2) | ((instruction >> 29) & 3));
        return (value << 43) >> 43;
    }

    /// <summary>The page offset an <c>add</c> (immediate) or an unsigned-offset load/store adds to its base register.</summary>
    private static ulong? LowBits(uint instruction)
    {
        var imm12 = (ulong)((instruction >> 10) & 0xFFF);
        if ((instruction & 0xFF800000) == 0x91000000)
        {
            return (instruction & (1u << 22)) != 0 ? imm12 << 12 : imm12;
        }

        if ((instruction & 0x3B000000) == 0x39000000)
        {
            var scale = (int)(instruction >> 30);
            if ((instruction & (1u << 26)) != 0 && ((instruction >> 23) & 1) != 0)
            {
                scale = 4;
            }

            return imm12 << scale;
        }

        return null;
    }

    /// <summary>Offsets into <c>.dynstr</c>: dynamic tags, symbol names, version needs and definitions.</summary>
    private static void ScanNameReferences(ReadOnlySpan<byte> file, ElfImage image, IntervalTable names)
    {
        const long dtSymtab = 6, dtStrtab = 5;
        foreach (var (tag, value) in image.DynamicEntries)
        {
            if (tag is 1 or 14 or 15 or 29 or 0x6ffffefa or 0x6ffffefb or 0x6ffffefc or 0x7ffffffd or 0x7fffffff)
            {
                names.Check(value);
            }
        }

        var symbolTables = image.Sections.Where(s => s.Type == 11 && s.IsInFile).Select(s => (s.Offset, s.Size)).ToList();
        if (symbolTables.Count == 0 && image.Dynamic.TryGetValue(dtSymtab, out var symtab) && image.Dynamic.TryGetValue(dtStrtab, out var strtab)
            && strtab > symtab && image.OffsetOf(symtab) is { } symbols)
        {
            // Without section headers the symbol table is taken to run up to the string table, as ld lays them out.
            symbolTables.Add(((ulong)symbols, strtab - symtab));
        }

        foreach (var (offset, size) in symbolTables)
        {
            var table = ElfImage.Slice(file, offset, size);
            for (var at = 0; at + 24 <= table.Length; at += 24)
            {
                names.Check(ElfImage.U32(table, at));
            }
        }

        ScanVersions(file, image, 0x6ffffffe, 0x6fffffff, needs: true, names);
        ScanVersions(file, image, 0x6ffffffc, 0x6ffffffd, needs: false, names);
    }

    // Verneed: file name at +4, aux at +8, next at +12; vernaux: name at +8, next at +12.
    // Verdef: aux at +12, next at +16; verdaux: name at +0, next at +4.
    private static void ScanVersions(ReadOnlySpan<byte> file, ElfImage image, long tableTag, long countTag, bool needs, IntervalTable names)
    {
        if (!image.Dynamic.TryGetValue(tableTag, out var address) || !image.Dynamic.TryGetValue(countTag, out var count)
            || image.OffsetOf(address) is not { } start)
        {
            return;
        }

        var records = 0;
        var at = (ulong)start;
        for (ulong i = 0; i < count && records++ < MaxVersionRecords; i++)
        {
            var record = ElfImage.Slice(file, at, 20);
            if (record.Length < 20)
            {
                return;
            }

            int auxCount = ElfImage.U16(record, needs ? 2 : 6);
            if (needs)
            {
                names.Check(ElfImage.U32(record, 4));
            }

            var aux = at + ElfImage.U32(record, needs ? 8 : 12);
            for (var j = 0; j < auxCount && records++ < MaxVersionRecords; j++)
            {
                var entry = ElfImage.Slice(file, aux, 16);
                if (entry.Length < (needs ? 16 : 8))
                {
                    break;
                }

                names.Check(ElfImage.U32(entry, needs ? 8 : 0));
                var step = ElfImage.U32(entry, needs ? 12 : 4);
                if (step == 0)
                {
                    break;
                }

                aux += step;
            }

            var next = ElfImage.U32(record, needs ? 12 : 16);
            if (next == 0)
            {
                return;
            }

            at += next;
        }
    }
}
