using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using Envship.Core.Relocation;

namespace Envship.Core.Tests.Relocation;

/// <summary>Libraries and a program compiled with gcc -O2, whose string constants the linker may merge.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class MergedStringsFixture : IDisposable
{
    public const string Prefix = "/opt/py/3.11.7";
    public const string Version = "3.11.7";

    /// <summary>The prefix of <c>libafter.so</c>, whose string shares a tail that lies after the prefix.</summary>
    public const string AfterPrefix = "/opt/py";

    public MergedStringsFixture()
    {
        Root = Directory.CreateTempSubdirectory("envship-tails-").FullName;
        Library("both", $$"""
            const char *VERSION = "{{Version}}";
            const char *prefix(void) { return "{{Prefix}}"; }
            const char *version(void) { return VERSION; }
            const char *version_direct(void) { return "{{Version}}"; }
            """);
        Library("data-only", $$"""
            const char *VERSION = "{{Version}}";
            const char *prefix(void) { return "{{Prefix}}"; }
            """);
        Library("code-only", $$"""
            const char *prefix(void) { return "{{Prefix}}"; }
            const char *version_direct(void) { return "{{Version}}"; }
            """);
        Library("unshared", $$"""
            const char *VERSION = "3.11.8";
            const char *prefix(void) { return "{{Prefix}}"; }
            const char *version_direct(void) { return "7.11.3"; }
            """);
        Library("empty", $$"""
            const char *EMPTY = "";
            const char *prefix(void) { return "{{Prefix}}"; }
            """);
        Library("after", $$"""
            const char *NAME = "python3.11";
            const char *stdlib(void) { return "{{AfterPrefix}}/lib/python3.11"; }
            """);
        Library("symbol", "int lib(void) { return 1; }\n", "-Wl,--enable-new-dtags", "-Wl,-rpath,/opt/env/lib");
        File.WriteAllText(Path.Combine(Root, "main.c"), $$"""
            #include <stdio.h>
            int main(void) { puts("{{Prefix}}"); puts("{{Version}}"); return 0; }
            """);
        NativeToolchain.MustRun("gcc", "-O2", "-no-pie", "-fno-pie", "-o", Path.Combine(Root, "no-pie"), Path.Combine(Root, "main.c"));
    }

    public string Root { get; }

    public byte[] Read(string name) => File.ReadAllBytes(Path.Combine(Root, name));

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private void Library(string name, string source, params string[] flags)
    {
        var file = Path.Combine(Root, name + ".c");
        File.WriteAllText(file, source);
        NativeToolchain.MustRun("gcc", ["-O2", "-shared", "-fPIC", "-o", Path.Combine(Root, $"lib{name}.so"), file, .. flags]);
    }
}

[UnsupportedOSPlatform("windows")]
public sealed class InteriorReferenceFinderTests(MergedStringsFixture fixture) : IClassFixture<MergedStringsFixture>
{
    private static bool IsX64 => RuntimeInformation.ProcessArchitecture == Architecture.X64;

    [Theory]
    [InlineData("libboth.so")]
    [InlineData("libdata-only.so")]
    [InlineData("libcode-only.so")]
    [InlineData("no-pie")]
    public void Finds_the_version_constant_the_linker_stored_as_the_prefix_tail(string name)
    {
        if (!IsX64 && name == "libcode-only.so")
        {
            return;
        }

        var bytes = fixture.Read(name);
        var at = PrefixOffset(bytes);
        // The hazard is real: "3.11.7" is stored nowhere else, only as the last bytes of the prefix string.
        Assert.Equal(1, Count(bytes, Encoding.ASCII.GetBytes(MergedStringsFixture.Version + "\0")));

        var found = InteriorReferenceFinder.Find(bytes, [new ElfStringRegion(at, MergedStringsFixture.Prefix.Length + 1)]);

        var reference = Assert.Single(found);
        Assert.Equal(at, reference.RegionOffset);
        Assert.Equal(at + MergedStringsFixture.Prefix.Length - MergedStringsFixture.Version.Length, reference.TargetOffset);
        Assert.Equal(MergedStringsFixture.Version, reference.Tail);
    }

    [Fact]
    public void A_prefix_string_whose_tail_nothing_else_uses_has_no_interior_reference()
    {
        var bytes = fixture.Read("libunshared.so");
        var at = PrefixOffset(bytes);

        Assert.Empty(InteriorReferenceFinder.Find(bytes, [new ElfStringRegion(at, MergedStringsFixture.Prefix.Length + 1)]));
    }

    [Fact]
    public void An_empty_string_merged_into_the_terminator_is_found_and_only_a_longer_destination_breaks_it()
    {
        var bytes = fixture.Read("libempty.so");
        var at = PrefixOffset(bytes);
        var length = MergedStringsFixture.Prefix.Length;

        var reference = Assert.Single(InteriorReferenceFinder.Find(bytes, [new ElfStringRegion(at, length + 1)]));

        Assert.Equal(at + length, reference.TargetOffset);
        Assert.Equal("", reference.Tail);
        Assert.True(SharedTailRule.CStringKeeps(length, 1, length, length - 3, length));
        Assert.True(SharedTailRule.CStringKeeps(length, 1, length, length, length));
        Assert.False(SharedTailRule.CStringKeeps(length, 1, length, length + 1, length));
    }

    [Fact]
    public void A_symbol_name_stored_as_the_tail_of_a_run_path_is_found()
    {
        var bytes = fixture.Read("libsymbol.so");
        using var stream = new MemoryStream(bytes);
        var runpath = Assert.Single(ElfReader.TryRead(stream)!.Runpaths);
        Assert.Equal("/opt/env/lib", runpath.Value);

        var reference = Assert.Single(InteriorReferenceFinder.Find(bytes, [new ElfStringRegion(runpath.FileOffset, runpath.RegionLength)]));

        Assert.Equal(runpath.FileOffset + "/opt/env/".Length, reference.TargetOffset);
        Assert.Equal("lib", reference.Tail);
    }

    [Theory]
    [InlineData("/b/lib", 3, true)]
    [InlineData("/b/lib", 7, true)]
    [InlineData("/b/lib", 1, false)]
    [InlineData("$ORIGIN", 3, false)]
    [InlineData("/lib", 6, true)]
    [InlineData("/longer/lib", 7, false)]
    public void Tail_rule_for_known_bytes_compares_the_tail_up_to_its_terminator(string rewritten, int tailIndex, bool keeps)
    {
        var before = new byte[12];
        var after = new byte[12];
        "/a/lib"u8.CopyTo(before);
        Encoding.ASCII.GetBytes(rewritten).CopyTo(after, 0);

        Assert.Equal(keeps, SharedTailRule.BytesKeep(before, after, tailIndex));
    }

    [Fact]
    public void Aarch64_adrp_and_add_into_the_tail_are_found()
    {
        const ulong baseAddress = 0x400000;
        var image = new byte[0x3000];
        WriteHeader(image, machine: 183, baseAddress);
        var stringAt = 0x2010;
        Encoding.ASCII.GetBytes(MergedStringsFixture.Prefix + "\0").CopyTo(image, stringAt);
        var target = baseAddress + (ulong)stringAt + 8;
        var pc = baseAddress + 0x1000;
        var pageDelta = (long)((target & ~0xFFFUL) - (pc & ~0xFFFUL)) >> 12;
        var adrp = 0x90000000u | (uint)((pageDelta & 3) << 29) | (uint)(((pageDelta >> 2) & 0x7FFFF) << 5) | 3u;
        var nop = 0xD503201Fu;
        var add = 0x91000000u | (uint)((target & 0xFFF) << 10) | (3u << 5) | 0u;
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x1000), adrp);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x1004), nop);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x1008), add);

        var reference = Assert.Single(InteriorReferenceFinder.Find(image, [new ElfStringRegion(stringAt, MergedStringsFixture.Prefix.Length + 1)]));

        Assert.Equal(stringAt + 8, reference.TargetOffset);
        Assert.Equal(MergedStringsFixture.Version, reference.Tail);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x1008), add | 5u << 5);
        Assert.Empty(InteriorReferenceFinder.Find(image, [new ElfStringRegion(stringAt, MergedStringsFixture.Prefix.Length + 1)]));
    }

    [Fact]
    public void Elf32_big_endian_and_mutated_files_never_throw()
    {
        var image = fixture.Read("libboth.so");
        var at = PrefixOffset(image);
        ElfStringRegion[] regions = [new(at, MergedStringsFixture.Prefix.Length + 1), new(image.Length - 4, 100), new(-5, 3)];
        foreach (var (index, value) in new[] { (4, (byte)1), (5, (byte)2) })
        {
            var other = (byte[])image.Clone();
            other[index] = value;
            Assert.Empty(InteriorReferenceFinder.Find(other, regions));
        }

        var random = new Random(11);
        for (var i = 0; i < 300; i++)
        {
            var mutated = (byte[])image.Clone();
            for (var flips = random.Next(1, 9); flips > 0; flips--)
            {
                var position = random.Next(2) == 0 ? random.Next(Math.Min(image.Length, 1024)) : random.Next(image.Length);
                mutated[position] = (byte)random.Next(256);
            }

            _ = InteriorReferenceFinder.Find(mutated, regions);
            _ = InteriorReferenceFinder.Find(mutated.AsSpan(0, random.Next(mutated.Length)), regions);
        }
    }

    private static void WriteHeader(byte[] image, ushort machine, ulong baseAddress)
    {
        "\u007fELF"u8.CopyTo(image);
        image[4] = 2;
        image[5] = 1;
        image[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(16), 3);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(18), machine);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(32), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(54), 56);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(56), 1);
        var load = image.AsSpan(64);
        BinaryPrimitives.WriteUInt32LittleEndian(load, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(load[4..], 5);
        BinaryPrimitives.WriteUInt64LittleEndian(load[16..], baseAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(load[32..], (ulong)image.Length);
    }

    private static long PrefixOffset(byte[] bytes)
    {
        var at = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(MergedStringsFixture.Prefix + "\0"));
        Assert.True(at > 0);
        return at;
    }

    private static int Count(byte[] bytes, byte[] pattern)
    {
        var count = 0;
        for (var at = bytes.AsSpan().IndexOf(pattern); at >= 0; count++)
        {
            var next = bytes.AsSpan(at + 1).IndexOf(pattern);
            at = next < 0 ? -1 : at + 1 + next;
        }

        return count;
    }
}
