using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using System.Text.RegularExpressions;
using Envship.Core.Relocation;

namespace Envship.Core.Tests.Relocation;

/// <summary>Compiles a tiny library and two programs (DT_RUNPATH and DT_RPATH) once per test class.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class CompiledElfFixture : IDisposable
{
    public CompiledElfFixture()
    {
        Root = Directory.CreateTempSubdirectory("envship-elf-").FullName;
        var library = Path.Combine(Root, "greet.c");
        var program = Path.Combine(Root, "main.c");
        File.WriteAllText(library, "int greet(void) { return 42; }\n");
        File.WriteAllText(program, "#include <stdio.h>\nint greet(void);\nint main(void) { printf(\"greet=%d\\n\", greet()); return greet() == 42 ? 0 : 1; }\n");
        NativeToolchain.MustRun("gcc", "-shared", "-fPIC", "-o", Path.Combine(Root, "libgreet.so"), library);
        foreach (var (name, dtags) in new[] { ("prog-runpath", "--enable-new-dtags"), ("prog-rpath", "--disable-new-dtags") })
        {
            NativeToolchain.MustRun(
                "gcc", "-o", Path.Combine(Root, name), program, $"-L{Root}", "-lgreet", $"-Wl,{dtags}", $"-Wl,-rpath,{SourcePrefix}/lib");
        }
    }

    /// <summary>Long enough that any temp directory is a shorter absolute destination.</summary>
    public static string SourcePrefix { get; } = "/some/long/prefix/" + new string('p', 80);

    public string Root { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

[UnsupportedOSPlatform("windows")]
public sealed partial class ElfRealBinaryTests(CompiledElfFixture fixture) : IClassFixture<CompiledElfFixture>
{
    [Theory]
    [InlineData("prog-runpath", ElfRunpathTag.RunPath, "RUNPATH", "Library runpath")]
    [InlineData("prog-rpath", ElfRunpathTag.RPath, "RPATH", "Library rpath")]
    public void Reader_agrees_with_readelf(string program, ElfRunpathTag tag, string readelfTag, string readelfLabel)
    {
        var path = Path.Combine(fixture.Root, program);

        var info = ReadInfo(path);

        var entry = Assert.Single(info.Runpaths);
        Assert.Equal(tag, entry.Tag);
        Assert.Equal($"{CompiledElfFixture.SourcePrefix}/lib", entry.Value);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(Encoding.UTF8.GetBytes(entry.Value + "\0"), bytes.AsSpan((int)entry.FileOffset, entry.Value.Length + 1).ToArray());
        Assert.InRange(entry.RegionLength, entry.Value.Length + 1, entry.Value.Length + 64);
        Assert.Equal(IntPtr.Size == 8, info.Is64Bit);
        Assert.Equal(ExpectedMachine(), info.Machine);

        var dynamic = NativeToolchain.Run("readelf", "-d", path).Output;
        Assert.Equal([entry.Value], Bracketed(dynamic, readelfTag, readelfLabel));
        Assert.Equal(Bracketed(dynamic, "NEEDED", "Shared library"), info.Needed);
        Assert.Contains("libgreet.so", info.Needed);
        Assert.All(info.OtherStringOffsets, offset => Assert.NotEqual(0, bytes[offset]));
        Assert.Equal(info.Needed.Count, info.OtherStringOffsets.Count);
    }

    [Theory]
    [InlineData("prog-runpath", "RUNPATH", "Library runpath")]
    [InlineData("prog-rpath", "RPATH", "Library rpath")]
    public void Origin_rewrite_lets_the_moved_program_find_its_library(string program, string readelfTag, string readelfLabel)
    {
        var moved = Directory.CreateTempSubdirectory("envship-moved-").FullName;
        try
        {
            // Library and program land in the same directory, "lib" relative to the new prefix.
            var target = Path.Combine(moved, program);
            File.Copy(Path.Combine(fixture.Root, program), target);
            File.Copy(Path.Combine(fixture.Root, "libgreet.so"), Path.Combine(moved, "libgreet.so"));
            Assert.NotEqual(0, NativeToolchain.Run(target).ExitCode);
            var entry = Assert.Single(ReadInfo(target).Runpaths);

            var rewritten = RunpathRewriter.Rewrite(
                entry.Value, CompiledElfFixture.SourcePrefix, "/does/not/matter", "lib", entry.RegionLength - 1, preferOrigin: true);
            Assert.Equal("$ORIGIN", rewritten);
            WriteInPlace(target, entry, rewritten);

            Assert.Equal(["$ORIGIN"], Bracketed(NativeToolchain.Run("readelf", "-d", target).Output, readelfTag, readelfLabel));
            Assert.Equal("$ORIGIN", Assert.Single(ReadInfo(target).Runpaths).Value);
            var run = NativeToolchain.Run(target);
            Assert.Equal(0, run.ExitCode);
            Assert.Equal("greet=42\n", run.Output);
        }
        finally
        {
            Directory.Delete(moved, recursive: true);
        }
    }

    [Fact]
    public void Absolute_rewrite_points_the_program_at_the_new_prefix()
    {
        var prefix = Directory.CreateTempSubdirectory("envship-prefix-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(prefix, "bin"));
            Directory.CreateDirectory(Path.Combine(prefix, "lib"));
            var target = Path.Combine(prefix, "bin", "prog");
            File.Copy(Path.Combine(fixture.Root, "prog-runpath"), target);
            File.Copy(Path.Combine(fixture.Root, "libgreet.so"), Path.Combine(prefix, "lib", "libgreet.so"));
            var entry = Assert.Single(ReadInfo(target).Runpaths);

            var rewritten = RunpathRewriter.Rewrite(
                entry.Value, CompiledElfFixture.SourcePrefix, prefix, "bin", entry.RegionLength - 1, preferOrigin: false);
            Assert.Equal($"{prefix}/lib", rewritten);
            WriteInPlace(target, entry, rewritten);

            Assert.Equal([$"{prefix}/lib"], Bracketed(NativeToolchain.Run("readelf", "-d", target).Output, "RUNPATH", "Library runpath"));
            Assert.Equal(0, NativeToolchain.Run(target).ExitCode);
        }
        finally
        {
            Directory.Delete(prefix, recursive: true);
        }
    }

    [Fact]
    public void Mutated_real_binary_never_throws()
    {
        var image = File.ReadAllBytes(Path.Combine(fixture.Root, "prog-runpath"));
        var random = new Random(7);
        for (var i = 0; i < 500; i++)
        {
            var mutated = (byte[])image.Clone();
            for (var flips = random.Next(1, 9); flips > 0; flips--)
            {
                // Bias mutations towards the headers, where they change how everything else is read.
                var at = random.Next(2) == 0 ? random.Next(Math.Min(image.Length, 1024)) : random.Next(image.Length);
                mutated[at] = (byte)random.Next(256);
            }

            using var stream = new MemoryStream(mutated, writable: false);
            _ = ElfReader.TryRead(stream);
        }
    }

    private static ElfDynamicInfo ReadInfo(string path)
    {
        using var stream = File.OpenRead(path);
        var info = ElfReader.TryRead(stream);
        Assert.NotNull(info);
        return info;
    }

    private static void WriteInPlace(string path, ElfRunpathEntry entry, string? value)
    {
        Assert.NotNull(value);
        var region = new byte[entry.RegionLength];
        var length = Encoding.UTF8.GetBytes(value, region);
        Assert.True(length < region.Length);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.Position = entry.FileOffset;
        stream.Write(region);
    }

    private static ushort ExpectedMachine() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 62,
        Architecture.Arm64 => 183,
        Architecture.X86 => 3,
        var other => throw new PlatformNotSupportedException(other.ToString()),
    };

    /// <summary>Values from readelf -d lines such as " 0x1d (RUNPATH)  Library runpath: [/x/lib]".</summary>
    private static List<string> Bracketed(string readelfOutput, string tag, string label) =>
        DynamicLine().Matches(readelfOutput)
            .Where(m => m.Groups["tag"].Value == tag && m.Groups["label"].Value == label)
            .Select(m => m.Groups["value"].Value)
            .ToList();

    [GeneratedRegex(@"^\s*0x[0-9a-f]+\s+\((?<tag>\w+)\)\s+(?<label>[^:\n]+):\s+\[(?<value>[^\]\n]*)\]\s*$", RegexOptions.Multiline)]
    private static partial Regex DynamicLine();
}
