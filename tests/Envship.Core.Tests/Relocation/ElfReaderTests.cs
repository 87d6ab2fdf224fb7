using System.Text;
using Envship.Core.Relocation;

namespace Envship.Core.Tests.Relocation;

public sealed class ElfReaderTests
{
    public static TheoryData<bool, bool> Formats => new()
    {
        { false, false },
        { false, true },
        { true, false },
        { true, true },
    };

    [Theory]
    [InlineData(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }, true)]
    [InlineData(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1 }, true)]
    [InlineData(new byte[] { 0x7F, (byte)'E', (byte)'L' }, false)]
    [InlineData(new byte[] { (byte)'#', (byte)'!', (byte)'/', (byte)'b' }, false)]
    [InlineData(new byte[] { 0x7F, (byte)'e', (byte)'l', (byte)'f' }, false)]
    [InlineData(new byte[0], false)]
    public void IsElf_checks_the_magic(byte[] header, bool expected)
    {
        Assert.Equal(expected, ElfReader.IsElf(header));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Reads_runpaths_needed_and_other_string_offsets(bool is64, bool bigEndian)
    {
        var image = SyntheticElf.Build(is64, bigEndian,
        [
            new(SyntheticElf.DtNeeded, "libz.so.1"),
            new(SyntheticElf.DtRunpath, "/opt/env/lib:$ORIGIN", Padding: 5),
            new(SyntheticElf.DtNeeded, "libc.so.6"),
            new(SyntheticElf.DtSoname, "libfoo.so.2"),
            new(SyntheticElf.DtRpath, "/opt/env/lib64"),
        ]);

        var info = Read(image.Bytes);

        Assert.NotNull(info);
        Assert.Equal(is64, info.Is64Bit);
        Assert.Equal(SyntheticElf.Machine, info.Machine);
        Assert.Equal(["libz.so.1", "libc.so.6"], info.Needed);
        Assert.Equal([image.FileOffsetOf(0), image.FileOffsetOf(2), image.FileOffsetOf(3)], info.OtherStringOffsets);
        Assert.Equal(
            [
                new ElfRunpathEntry(ElfRunpathTag.RunPath, image.FileOffsetOf(1), "/opt/env/lib:$ORIGIN", 20 + 1 + 5),
                new ElfRunpathEntry(ElfRunpathTag.RPath, image.FileOffsetOf(4), "/opt/env/lib64", 14 + 1),
            ],
            info.Runpaths);
        foreach (var entry in info.Runpaths)
        {
            Assert.Equal(entry.Value + "\0", Encoding.UTF8.GetString(image.Bytes, (int)entry.FileOffset, entry.Value.Length + 1));
        }
    }

    [Theory]
    // A reference into the padding ends the usable region just before it.
    [InlineData(8, 0, 13)]
    [InlineData(8, 3, 16)]
    [InlineData(8, 7, 20)]
    // References elsewhere leave the whole padding usable.
    [InlineData(8, 8, 21)]
    [InlineData(0, 0, 13)]
    // A reference inside the string itself (tail sharing) is reported but does not shrink the region.
    [InlineData(8, -3, 21)]
    public void Region_stops_where_another_reference_points_into_the_padding(int padding, int delta, int expectedRegion)
    {
        const string value = "/opt/env/lib";
        var image = SyntheticElf.Build(is64: true, bigEndian: false,
        [
            new(SyntheticElf.DtRunpath, value, Padding: padding),
            new(SyntheticElf.DtAudit, "", SharesWith: 0, ShareDelta: value.Length + 1 + delta),
        ]);

        var info = Read(image.Bytes);

        Assert.NotNull(info);
        var runpath = Assert.Single(info.Runpaths);
        Assert.Equal(expectedRegion, runpath.RegionLength);
        Assert.Equal([runpath.FileOffset + value.Length + 1 + delta], info.OtherStringOffsets);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Extended_program_header_count_is_read_from_section_zero(bool is64, bool bigEndian)
    {
        var image = SyntheticElf.Build(is64, bigEndian, [new(SyntheticElf.DtRunpath, "/x/lib")], extendedCount: true);

        var info = Read(image.Bytes);

        Assert.Equal("/x/lib", Assert.Single(info!.Runpaths).Value);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Dynamic_section_without_strings_yields_empty_lists(bool is64, bool bigEndian)
    {
        var info = Read(SyntheticElf.Build(is64, bigEndian, []).Bytes);

        Assert.NotNull(info);
        Assert.Empty(info.Runpaths);
        Assert.Empty(info.Needed);
        Assert.Empty(info.OtherStringOffsets);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Elf_without_dynamic_segment_yields_null(bool is64, bool bigEndian)
    {
        Assert.Null(Read(SyntheticElf.Build(is64, bigEndian, [new(SyntheticElf.DtNeeded, "libc.so.6")], withDynamic: false).Bytes));
    }

    [Theory]
    [InlineData("")]
    [InlineData("#!/bin/sh\necho not an elf\n")]
    [InlineData("\u007fELF")]
    public void Non_elf_or_truncated_input_yields_null(string content)
    {
        Assert.Null(Read(Encoding.Latin1.GetBytes(content)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_bytes_never_throw(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 3000; i++)
        {
            var bytes = new byte[random.Next(0, 400)];
            random.NextBytes(bytes);
            if (bytes.Length >= 6 && random.Next(4) != 0)
            {
                // Mostly keep a plausible identification so parsing gets past the magic.
                "\u007fELF"u8.CopyTo(bytes);
                bytes[4] = (byte)random.Next(1, 3);
                bytes[5] = (byte)random.Next(1, 3);
            }

            _ = Read(bytes);
        }
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Mutated_and_truncated_images_never_throw(bool is64, bool bigEndian)
    {
        var image = SyntheticElf.Build(is64, bigEndian,
        [
            new(SyntheticElf.DtNeeded, "libc.so.6"),
            new(SyntheticElf.DtRunpath, "/opt/env/lib", Padding: 3),
        ]).Bytes;
        for (var length = 0; length < image.Length; length++)
        {
            _ = Read(image.AsSpan(0, length).ToArray());
        }

        var random = new Random(is64 ? 64 : 32);
        for (var i = 0; i < 5000; i++)
        {
            var mutated = (byte[])image.Clone();
            for (var flips = random.Next(1, 6); flips > 0; flips--)
            {
                mutated[random.Next(mutated.Length)] = random.Next(3) switch
                {
                    0 => 0xFF,
                    1 => 0,
                    _ => (byte)random.Next(256),
                };
            }

            _ = Read(mutated);
        }
    }

    private static ElfDynamicInfo? Read(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return ElfReader.TryRead(stream);
    }
}
