using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Envship.Core.Relocation;

namespace Envship.Core.Tests.Relocation;

/// <summary>The .gnu.version_r reader against real gcc output, checked entry for entry with <c>readelf -V</c>.</summary>
[UnsupportedOSPlatform("windows")]
public sealed partial class ElfVersionNeedsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("envship-verneed-").FullName;

    [Theory]
    [InlineData("plain", "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n", "")]
    [InlineData("math", "#include <math.h>\n#include <stdio.h>\nint main(int c, char **v) { printf(\"%f\\n\", exp((double)c) + log((double)c)); return v == 0; }\n", "-lm")]
    [InlineData("shared", "int answer(void) { return 42; }\n", "-shared -fPIC")]
    public void Reads_every_needed_version_like_readelf(string name, string source, string flags)
    {
        var binary = Compile(name, source, flags);

        using var stream = File.OpenRead(binary);
        var needs = ElfVersionNeeds.TryRead(stream);

        Assert.NotNull(needs);
        Assert.Equal(ReadelfNeeds(binary), needs.Select(n => $"{n.Library} {n.Version}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_floor_is_the_highest_glibc_version_compared_as_numbers()
    {
        var binary = Compile("floor", "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n", "");
        var expected = ReadelfNeeds(binary)
            .Select(n => n.Split(' ')[1])
            .Where(v => v.StartsWith("GLIBC_", StringComparison.Ordinal) && char.IsAsciiDigit(v[6]))
            .Select(v => v[6..])
            .OrderBy(v => Version.Parse(v.Split('.').Length == 1 ? v + ".0" : v))
            .Last();

        using var stream = File.OpenRead(binary);
        Assert.Equal(expected, ElfVersionNeeds.TryReadGlibcFloor(stream));
    }

    [Fact]
    public void A_static_program_needs_nothing_and_other_files_are_not_elf()
    {
        var binary = Compile("static", "int main(void) { return 0; }\n", "-static -nostdlib -e main");
        using (var stream = File.OpenRead(binary))
        {
            Assert.Empty(ElfVersionNeeds.TryRead(stream)!);
        }

        using var text = new MemoryStream("#!/bin/sh\necho hi\n"u8.ToArray());
        Assert.Null(ElfVersionNeeds.TryRead(text));
    }

    [Fact]
    public void Truncated_elf_files_yield_null_or_a_partial_answer_never_an_exception()
    {
        var bytes = File.ReadAllBytes(Compile("cut", "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n", ""));
        for (var length = 0; length < bytes.Length; length += 97)
        {
            using var stream = new MemoryStream(bytes, 0, length);
            _ = ElfVersionNeeds.TryRead(stream);
        }

        var random = new Random(4);
        for (var i = 0; i < 300; i++)
        {
            var copy = (byte[])bytes.Clone();
            copy[random.Next(copy.Length)] = (byte)random.Next(256);
            using var stream = new MemoryStream(copy);
            _ = ElfVersionNeeds.TryRead(stream);
        }
    }

    [Theory]
    [InlineData("2.2.5", "2.34", -1)]
    [InlineData("2.34", "2.4", 1)]
    [InlineData("2.17", "2.17.0", 0)]
    [InlineData("9.99", "2.36", 1)]
    public void Glibc_versions_compare_number_by_number(string left, string right, int sign) =>
        Assert.Equal(sign, Math.Sign(GlibcVersions.Compare(left, right)));

    [Fact]
    public void Private_and_non_glibc_names_do_not_count()
    {
        Assert.Equal("2.34", GlibcVersions.Highest(["GLIBC_2.2.5", "GLIBC_PRIVATE", "GLIBCXX_3.4.30", "GLIBC_2.34", "GCC_3.0"]));
        Assert.Null(GlibcVersions.Highest(["GLIBC_PRIVATE"]));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Compile(string name, string source, string flags)
    {
        var sourceFile = Path.Combine(_root, name + ".c");
        File.WriteAllText(sourceFile, source);
        var output = Path.Combine(_root, name);
        NativeToolchain.MustRun("gcc", ["-o", output, sourceFile, .. flags.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        return output;
    }

    private static List<string> ReadelfNeeds(string binary)
    {
        var text = NativeToolchain.Run("readelf", "-V", "-W", binary).Output;
        var section = text.IndexOf(".gnu.version_r", StringComparison.Ordinal);
        var needs = new List<string>();
        string? file = null;
        foreach (var line in text[Math.Max(0, section)..].Split('\n'))
        {
            if (FileLine().Match(line) is { Success: true } f)
            {
                file = f.Groups[1].Value;
            }
            else if (NameLine().Match(line) is { Success: true } n && file is not null)
            {
                needs.Add($"{file} {n.Groups[1].Value}");
            }
        }

        needs.Sort(StringComparer.Ordinal);
        return needs;
    }

    [GeneratedRegex(@"File: (\S+)\s+Cnt:")]
    private static partial Regex FileLine();

    [GeneratedRegex(@"Name: (\S+)\s+Flags:")]
    private static partial Regex NameLine();
}
