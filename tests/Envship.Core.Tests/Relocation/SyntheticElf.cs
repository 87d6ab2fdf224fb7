using System.Buffers.Binary;
using System.Text;

namespace Envship.Core.Tests.Relocation;

/// <summary>A dynamic-section string: a new string, or a reference into an earlier one.</summary>
/// <param name="Padding">NUL bytes appended after the string's terminator.</param>
/// <param name="SharesWith">Index of an earlier entry whose bytes this one points into, or -1.</param>
/// <param name="ShareDelta">Byte offset from the start of that entry's string.</param>
internal sealed record DynString(long Tag, string Value, int Padding = 0, int SharesWith = -1, int ShareDelta = 0);

/// <summary>The built image plus where each dynamic string landed.</summary>
internal sealed record SyntheticElfImage(byte[] Bytes, long StringTableOffset, int[] Indexes)
{
    public long FileOffsetOf(int entry) => StringTableOffset + Indexes[entry];
}

/// <summary>
/// Builds minimal ELF images (any class and byte order) with two PT_LOAD segments at different
/// address deltas, so the reader must really map DT_STRTAB through the right segment.
/// </summary>
internal static class SyntheticElf
{
    public const ushort Machine = 0x2A;
    public const long DtNeeded = 1;
    public const long DtSoname = 14;
    public const long DtRpath = 15;
    public const long DtRunpath = 29;
    public const long DtAudit = 0x6ffffefc;
    private const ulong TextBase = 0x10000;
    private const ulong DataBase = 0x80000;

    public static SyntheticElfImage Build(
        bool is64, bool bigEndian, IReadOnlyList<DynString> strings, bool withDynamic = true, bool extendedCount = false)
    {
        var word = is64 ? 8 : 4;
        var headerSize = is64 ? 64 : 52;
        var phentsize = is64 ? 56 : 32;
        var phnum = withDynamic ? 3 : 2;
        var dynOffset = Align(headerSize + (phnum * phentsize), 8);
        var dynCount = strings.Count + 3;
        var strOffset = dynOffset + (dynCount * 2 * word) + 24;

        var table = new List<byte> { 0 };
        var indexes = new int[strings.Count];
        for (var i = 0; i < strings.Count; i++)
        {
            var s = strings[i];
            if (s.SharesWith >= 0)
            {
                indexes[i] = indexes[s.SharesWith] + s.ShareDelta;
                continue;
            }

            indexes[i] = table.Count;
            table.AddRange(Encoding.UTF8.GetBytes(s.Value));
            table.AddRange(new byte[1 + s.Padding]);
        }

        table.AddRange("trailing\0"u8.ToArray());
        var sectionOffset = Align(strOffset + table.Count, 8);
        var image = new byte[sectionOffset + (extendedCount ? (is64 ? 64 : 40) : 0)];
        var w = new Writer(image, is64, bigEndian);
        "\u007fELF"u8.CopyTo(image);
        image[4] = (byte)(is64 ? 2 : 1);
        image[5] = (byte)(bigEndian ? 2 : 1);
        image[6] = 1;
        w.U16(16, 3);
        w.U16(18, Machine);
        w.U32(20, 1);
        w.Word(is64 ? 32 : 28, (ulong)headerSize);
        w.U16(is64 ? 52 : 40, (ushort)headerSize);
        w.U16(is64 ? 54 : 42, (ushort)phentsize);
        w.U16(is64 ? 56 : 44, extendedCount ? (ushort)0xffff : (ushort)phnum);
        if (extendedCount)
        {
            w.Word(is64 ? 40 : 32, (ulong)sectionOffset);
            w.U16(is64 ? 58 : 46, (ushort)(is64 ? 64 : 40));
            w.U16(is64 ? 60 : 48, 1);
            w.U32(sectionOffset + (is64 ? 44 : 28), (uint)phnum);
        }

        w.ProgramHeader(headerSize, 1, 0, TextBase, (ulong)strOffset);
        w.ProgramHeader(headerSize + phentsize, 1, (ulong)strOffset, DataBase, (ulong)table.Count);
        if (withDynamic)
        {
            w.ProgramHeader(headerSize + (2 * phentsize), 2, (ulong)dynOffset, TextBase + (ulong)dynOffset, (ulong)(dynCount * 2 * word));
        }

        var at = dynOffset;
        for (var i = 0; i < strings.Count; i++)
        {
            at = w.Dyn(at, strings[i].Tag, (ulong)indexes[i]);
        }

        at = w.Dyn(at, 5, DataBase);
        at = w.Dyn(at, 10, (ulong)table.Count);
        w.Dyn(at, 0, 0);
        table.CopyTo(image, strOffset);
        return new SyntheticElfImage(image, strOffset, indexes);
    }

    private static int Align(int value, int alignment) => (value + alignment - 1) / alignment * alignment;

    private readonly record struct Writer(byte[] Image, bool Is64, bool BigEndian)
    {
        public void U16(int offset, ushort value)
        {
            if (BigEndian)
            {
                BinaryPrimitives.WriteUInt16BigEndian(Image.AsSpan(offset), value);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(Image.AsSpan(offset), value);
            }
        }

        public void U32(int offset, uint value)
        {
            if (BigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(Image.AsSpan(offset), value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(Image.AsSpan(offset), value);
            }
        }

        public void Word(int offset, ulong value)
        {
            if (!Is64)
            {
                U32(offset, (uint)value);
            }
            else if (BigEndian)
            {
                BinaryPrimitives.WriteUInt64BigEndian(Image.AsSpan(offset), value);
            }
            else
            {
                BinaryPrimitives.WriteUInt64LittleEndian(Image.AsSpan(offset), value);
            }
        }

        public void ProgramHeader(int at, uint type, ulong offset, ulong address, ulong size)
        {
            U32(at, type);
            Word(at + (Is64 ? 8 : 4), offset);
            Word(at + (Is64 ? 16 : 8), address);
            Word(at + (Is64 ? 24 : 12), address);
            Word(at + (Is64 ? 32 : 16), size);
            Word(at + (Is64 ? 40 : 20), size);
        }

        public int Dyn(int at, long tag, ulong value)
        {
            var word = Is64 ? 8 : 4;
            Word(at, (ulong)tag);
            Word(at + word, value);
            return at + (2 * word);
        }
    }
}
