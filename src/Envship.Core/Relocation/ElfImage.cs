using System.Buffers.Binary;

namespace Envship.Core.Relocation;

/// <summary>
/// The parts of a 64-bit little-endian ELF image that tell where references can hide: loadable
/// segments (file offset to address), sections (code or data) and the dynamic table. Read from
/// bytes in memory; anything out of bounds is dropped rather than trusted.
/// </summary>
internal sealed class ElfImage
{
    public const ushort MachineX86_64 = 62;
    public const ushort MachineAarch64 = 183;
    public const ushort TypeExecutable = 2;
    public const uint SectionProgBits = 1;
    public const uint SectionRela = 4;
    public const uint SectionNoBits = 8;
    public const uint SectionRel = 9;
    public const uint SectionInitArray = 14;
    public const uint SectionPreinitArray = 16;
    public const uint SectionRelr = 19;
    public const ulong FlagAlloc = 2;
    public const ulong FlagExecute = 4;
    private const uint SegmentLoad = 1;
    private const uint SegmentDynamic = 2;
    private const uint SegmentExecutable = 1;

    private ElfImage(ushort type, ushort machine)
    {
        Type = type;
        Machine = machine;
    }

    public ushort Type { get; }
    public ushort Machine { get; }
    public List<ElfLoad> Loads { get; } = [];
    public List<ElfSection> Sections { get; } = [];
    public Dictionary<long, ulong> Dynamic { get; } = [];
    public List<(long Tag, ulong Value)> DynamicEntries { get; } = [];

    /// <summary>Null for anything but a 64-bit little-endian ELF with a readable header.</summary>
    public static ElfImage? TryParse(ReadOnlySpan<byte> file)
    {
        if (file.Length < 64 || !ElfReader.IsElf(file) || file[4] != 2 || file[5] != 1)
        {
            return null;
        }

        var image = new ElfImage(U16(file, 16), U16(file, 18));
        ReadSegments(file, image, out var dynamic);
        ReadSections(file, image);
        if (dynamic is { } table)
        {
            ReadDynamic(file, image, table);
        }

        return image;
    }

    /// <summary>The address a file offset is loaded at, or null when no segment loads it.</summary>
    public ulong? AddressOf(long offset)
    {
        foreach (var load in Loads)
        {
            if ((ulong)offset >= load.Offset && (ulong)offset - load.Offset < load.FileSize)
            {
                return load.Address + ((ulong)offset - load.Offset);
            }
        }

        return null;
    }

    /// <summary>The file offset an address is loaded from, or null when it is not backed by the file.</summary>
    public long? OffsetOf(ulong address)
    {
        foreach (var load in Loads)
        {
            if (address >= load.Address && address - load.Address < load.FileSize)
            {
                return (long)(load.Offset + (address - load.Address));
            }
        }

        return null;
    }

    public static ushort U16(ReadOnlySpan<byte> data, int at) => BinaryPrimitives.ReadUInt16LittleEndian(data[at..]);

    public static uint U32(ReadOnlySpan<byte> data, int at) => BinaryPrimitives.ReadUInt32LittleEndian(data[at..]);

    public static ulong U64(ReadOnlySpan<byte> data, int at) => BinaryPrimitives.ReadUInt64LittleEndian(data[at..]);

    /// <summary>The file bytes from <paramref name="offset"/> for <paramref name="length"/>, clipped to the file; empty when outside.</summary>
    public static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> file, ulong offset, ulong length)
    {
        if (offset >= (ulong)file.Length)
        {
            return [];
        }

        return file.Slice((int)offset, (int)Math.Min(length, (ulong)file.Length - offset));
    }

    private static void ReadSegments(ReadOnlySpan<byte> file, ElfImage image, out ElfLoad? dynamic)
    {
        dynamic = null;
        var table = U64(file, 32);
        int size = U16(file, 54);
        int count = U16(file, 56);
        if (size < 56)
        {
            return;
        }

        for (var i = 0; i < count; i++)
        {
            var entry = Slice(file, table + ((ulong)i * (ulong)size), 56);
            if (entry.Length < 56)
            {
                return;
            }

            var load = new ElfLoad(U64(entry, 8), U64(entry, 16), U64(entry, 32), (U32(entry, 4) & SegmentExecutable) != 0);
            var type = U32(entry, 0);
            if (type == SegmentLoad)
            {
                image.Loads.Add(load);
            }
            else if (type == SegmentDynamic)
            {
                dynamic ??= load;
            }
        }
    }

    private static void ReadSections(ReadOnlySpan<byte> file, ElfImage image)
    {
        var table = U64(file, 40);
        int size = U16(file, 58);
        int count = U16(file, 60);
        if (table == 0 || size < 64)
        {
            return;
        }

        for (var i = 0; i < count; i++)
        {
            var entry = Slice(file, table + ((ulong)i * (ulong)size), 64);
            if (entry.Length < 64)
            {
                return;
            }

            image.Sections.Add(new ElfSection(
                U32(entry, 4), U64(entry, 8), U64(entry, 16), U64(entry, 24), U64(entry, 32), U32(entry, 40), U64(entry, 56)));
        }
    }

    private static void ReadDynamic(ReadOnlySpan<byte> file, ElfImage image, ElfLoad dynamic)
    {
        var table = Slice(file, dynamic.Offset, dynamic.FileSize);
        for (var at = 0; at + 16 <= table.Length; at += 16)
        {
            var tag = (long)U64(table, at);
            if (tag == 0)
            {
                break;
            }

            var value = U64(table, at + 8);
            image.DynamicEntries.Add((tag, value));
            image.Dynamic.TryAdd(tag, value);
        }
    }
}

/// <summary>A PT_LOAD segment.</summary>
internal readonly record struct ElfLoad(ulong Offset, ulong Address, ulong FileSize, bool Executable);

/// <summary>A section header, with the fields reference finding uses.</summary>
internal readonly record struct ElfSection(uint Type, ulong Flags, ulong Address, ulong Offset, ulong Size, uint Link, ulong EntrySize)
{
    public bool IsInFile => Type != ElfImage.SectionNoBits && Type != 0;
}
