using System.Runtime.Versioning;
using System.Text;
using System.Text.RegularExpressions;
using Envship.Core.Relocation;
using Envship.Testing;

namespace Envship.Core.Tests.Relocation;

/// <summary>
/// The ELF rules on aarch64 (ELF64 little-endian, e_machine 183) against real output of Debian's cross gcc:
/// the same reader, rewrite, version needs and shared-tail search as on x86-64, and the rewritten program
/// runs under qemu.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class Aarch64ElfTests : IDisposable
{
    // aarch64 gcc puts string constants in 8-aligned mergeable sections, so ld stores a constant as another's
    // tail only when that tail starts 8 bytes in: "/opt/py/" is 8 bytes.
    private const string Prefix = "/opt/py/3.11.7";
    private const string Version = "3.11.7";
    private static readonly ElfTarget _aarch64 = ElfTarget.LinuxAarch64;
    private readonly string _root = Directory.CreateTempSubdirectory("envship-aarch64-elf-").FullName;

    public Aarch64ElfTests()
    {
        File.WriteAllText(Path.Combine(_root, "lib.c"), $$"""
            const char *VERSION = "{{Version}}";
            const char *prefix(void) { return "{{Prefix}}"; }
            const char *version(void) { return VERSION; }
            const char *version_direct(void) { return "{{Version}}"; }
            """);
        File.WriteAllText(Path.Combine(_root, "main.c"), """
            #include <stdio.h>
            const char *version(void);
            int main(void) { puts(version()); return 0; }
            """);
        Directory.CreateDirectory(Path.Combine(_root, "lib"));
        Directory.CreateDirectory(Path.Combine(_root, "bin"));
        ProcessRunner.RunChecked(_aarch64.Compiler, ["-O2", "-shared", "-fPIC", "-o", "lib/libboth.so", "lib.c", "-Wl,-soname,libboth.so"], _root);
        ProcessRunner.RunChecked(_aarch64.Compiler,
            ["-O2", "-o", "bin/prog", "main.c", "-Llib", "-lboth", "-Wl,--enable-new-dtags", $"-Wl,-rpath,{Prefix}/lib"], _root);
    }

    [Fact]
    public void The_run_path_is_read_like_readelf_and_rewritten_in_place_the_program_then_finds_its_library()
    {
        var program = Path.Combine(_root, "bin", "prog");
        Assert.NotEqual(0, _aarch64.Run(program, []).ExitCode);
        var info = Read(program);
        Assert.True(info.Is64Bit);
        Assert.Equal(183, info.Machine);
        var entry = Assert.Single(info.Runpaths);
        Assert.Equal(ElfRunpathTag.RunPath, entry.Tag);
        Assert.Equal($"{Prefix}/lib", entry.Value);
        Assert.Equal($"{Prefix}/lib", ElfTools.ReadDynamic(program).RunPath);
        Assert.Equal(ElfTools.ReadDynamic(program).Needed, info.Needed);

        // _root is the new prefix, longer than the old one: the rewrite must fit the old RUNPATH's room.
        var rewritten = RunpathRewriter.Rewrite(entry.Value, Prefix, _root, "bin", entry.RegionLength - 1, preferOrigin: false);
        Assert.NotNull(rewritten);
        var region = new byte[entry.RegionLength];
        Encoding.UTF8.GetBytes(rewritten, region);
        using (var stream = new FileStream(program, FileMode.Open, FileAccess.Write))
        {
            stream.Position = entry.FileOffset;
            stream.Write(region);
        }

        Assert.Equal(rewritten, ElfTools.ReadDynamic(program).RunPath);
        var run = _aarch64.RunChecked(program, []);
        Assert.Equal(Version + "\n", run.StdOut);
    }

    [Fact]
    public void Every_glibc_version_need_is_read_like_readelf_and_the_floor_is_the_highest()
    {
        var program = Path.Combine(_root, "bin", "prog");
        var readelf = ProcessRunner.RunChecked("readelf", ["-V", "-W", program]).StdOut;
        var glibcVersions = Regex.Matches(readelf, @"Name: GLIBC_(?<version>[0-9.]+)\s").Select(m => m.Groups["version"].Value).ToList();
        Assert.NotEmpty(glibcVersions);

        using var stream = File.OpenRead(program);
        var needs = ElfVersionNeeds.TryRead(stream);

        Assert.NotNull(needs);
        Assert.Equal(
            Regex.Matches(readelf, @"Name: (?<version>\S+)\s+Flags").Select(m => m.Groups["version"].Value).Order(StringComparer.Ordinal),
            needs.Select(n => n.Version).Order(StringComparer.Ordinal));
        stream.Position = 0;
        Assert.Equal(glibcVersions.MaxBy(System.Version.Parse), ElfVersionNeeds.TryReadGlibcFloor(stream));
    }

    [Fact]
    public void A_version_constant_stored_as_the_prefix_tail_is_found_through_data_and_adrp_code()
    {
        var bytes = File.ReadAllBytes(Path.Combine(_root, "lib", "libboth.so"));
        var at = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Prefix + "\0"));
        Assert.True(at > 0);
        // The linker merged "3.11.7" into the prefix's last bytes: it is stored nowhere else.
        Assert.Equal(at + Prefix.Length - Version.Length, bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Version + "\0")));

        var found = InteriorReferenceFinder.Find(bytes, [new ElfStringRegion(at, Prefix.Length + 1)]);

        var reference = Assert.Single(found);
        Assert.Equal(at + Prefix.Length - Version.Length, reference.TargetOffset);
        Assert.Equal(Version, reference.Tail);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static Envship.Core.Relocation.ElfDynamicInfo Read(string path)
    {
        using var stream = File.OpenRead(path);
        var info = ElfReader.TryRead(stream);
        Assert.NotNull(info);
        return info;
    }
}
