using System.Text.Json;
using System.Text;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>A prefix ending in its version, packed, then moved away so nothing can fall back to it.</summary>
public sealed class SharedTailEnvironment : IDisposable
{
    public SharedTailEnvironment()
    {
        // gcc aligns string literals of 31 bytes or more on x86-64, and ld merges only strings of one
        // alignment, so the prefix is kept short enough for the version to be merged into it.
        Work = new TempDirectory("et");
        Prefix = Work.Combine("py", SharedTailProgramBuilder.Version);
        Assert.True(Prefix.Length < 31, $"the temporary directory is too long for this test: {Prefix}");
        SharedTailProgramBuilder.Build(Prefix);
        var before = ProcessRunner.RunChecked(Path.Combine(Prefix, SharedTailProgramBuilder.ExecutableRelativePath), []).StdOut;
        Assert.Equal($"3.11.7\n3.11.7\n{Prefix}\n{Prefix}{SharedTailProgramBuilder.DataSuffix}\n", before);
        LibraryBytes = File.ReadAllBytes(Path.Combine(Prefix, SharedTailProgramBuilder.LibraryRelativePath));
        Archive = Work.Combine("pyver.tar.zst");
        PackOutput = CliRunner.RunOk("pack", "-p", Prefix, "-o", Archive);
        PlainArchive = Work.Combine("pyver.tar");
        CliRunner.RunOk("pack", "-p", Prefix, "-o", PlainArchive, "--format", "tar", "-q");
        Directory.Move(Prefix, Prefix + ".gone");
    }

    public TempDirectory Work { get; }
    public string Prefix { get; }
    public byte[] LibraryBytes { get; }
    public string Archive { get; }
    public CliResult PackOutput { get; }
    public string PlainArchive { get; }

    public void Dispose() => Work.Dispose();
}

/// <summary>Issue 12: relocation must not corrupt a constant the linker stored as the tail of a prefix string.</summary>
public sealed class SharedTailTests(SharedTailEnvironment env) : IClassFixture<SharedTailEnvironment>
{
    private const string Library = SharedTailProgramBuilder.LibraryRelativePath;

    [Fact]
    public void The_linker_really_stores_the_version_as_the_tail_of_the_prefix_string()
    {
        var bytes = env.LibraryBytes.AsSpan();
        var prefixAt = bytes.IndexOf(Encoding.UTF8.GetBytes(env.Prefix + "\0"));
        var versionAt = bytes.IndexOf("3.11.7\0"u8);

        Assert.True(prefixAt > 0);
        Assert.Equal(prefixAt + env.Prefix.Length - 6, versionAt);
        Assert.Equal(versionAt, bytes.LastIndexOf("3.11.7\0"u8));
        Assert.Contains($"{Library}: the string '{env.Prefix}' ends in '3.11.7'", env.PackOutput.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("shorter")]
    [InlineData("equal")]
    [InlineData("longer")]
    public void Deploy_keeps_the_string_so_the_version_constant_survives_and_the_runpath_resolves_inside_dest(string kind)
    {
        var destination = Destination(kind);

        var result = CliRunner.RunOk("deploy", env.Archive, "--prefix", destination);

        var program = Path.Combine(destination, SharedTailProgramBuilder.ExecutableRelativePath);
        var lines = ProcessRunner.RunChecked(program, []).StdOut.Split('\n');
        Assert.Equal("3.11.7", lines[0]);
        Assert.Equal("3.11.7", lines[1]);
        Assert.Equal(env.Prefix, lines[2]);
        Assert.Contains(
            $"{Library}: kept the string '{env.Prefix}' unchanged: its tail '3.11.7' is also used as a separate constant",
            result.StdErr,
            StringComparison.Ordinal);
        if (kind != "longer")
        {
            // No false positive: the string nothing shares a tail with is relocated.
            Assert.Equal(destination + SharedTailProgramBuilder.DataSuffix, lines[3]);
        }

        Assert.Equal(Path.Combine(destination, Library), Ldd.Resolve(program, "libpyver.so"));
        var runpath = ElfTools.ReadDynamic(program).RunPath!;
        Assert.DoesNotContain(env.Prefix, runpath, StringComparison.Ordinal);

        using var receipt = JsonDocument.Parse(File.ReadAllText(Path.Combine(destination, ".envship/receipt.json")));
        var kept = Assert.Single(receipt.RootElement.GetProperty("kept_strings").EnumerateArray());
        Assert.Equal(Library, kept.GetProperty("path").GetString());
        Assert.Equal(env.Prefix, kept.GetProperty("value").GetString());
        Assert.Equal("'3.11.7'", kept.GetProperty("tails").GetString());
        Assert.Equal(env.LibraryBytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(env.Prefix + "\0")), kept.GetProperty("offset").GetInt64());
        CliRunner.RunOk("verify", destination);
    }

    [Fact]
    public void Strict_deploy_fails_before_writing_and_names_the_file_and_the_tail()
    {
        var destination = Destination("t");

        var result = CliRunner.Run("deploy", env.Archive, "--prefix", destination, "--strict");

        Assert.Equal((int)ExitCode.RelocationImpossible, result.ExitCode);
        Assert.Contains($"{Library}: kept the string '{env.Prefix}' unchanged: its tail '3.11.7'", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("nothing was written", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("rebuild the program", result.StdErr, StringComparison.Ordinal);
        // The tail lies inside the prefix itself, so no other path of the same length would keep it.
        Assert.DoesNotContain("exactly", result.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(destination));
    }

    [Fact]
    public void An_archive_without_the_record_is_checked_on_its_bytes_and_strict_refuses_before_the_rename()
    {
        var packed = HostileArchiveBuilder.Read(env.PlainArchive);
        var stripped = packed.Manifest with
        {
            Entries = [.. packed.Manifest.Entries.Select(e => e.Relocation is { Segments: { } segments }
                ? e with { Relocation = e.Relocation with { Segments = [.. segments.Select(s => s with { SharedTails = null, Value = s.Kind == SegmentKind.ElfRunpath ? s.Value : null })] } }
                : e)],
        };
        Assert.DoesNotContain("shared_tails", Encoding.UTF8.GetString(ManifestJson.Serialize(stripped)), StringComparison.Ordinal);
        var archive = HostileArchiveBuilder.Write(env.Work.Combine("old.tar.zst"), packed with { Manifest = stripped }, ArchiveFormat.TarZst);
        var strict = Destination("o");
        var relaxed = Destination("r");

        var refused = CliRunner.Run("deploy", archive, "--prefix", strict, "--strict");
        var deployed = CliRunner.RunOk("deploy", archive, "--prefix", relaxed);

        Assert.Equal((int)ExitCode.RelocationImpossible, refused.ExitCode);
        Assert.Contains($"{Library}: kept the string '{env.Prefix}' unchanged: its tail '3.11.7'", refused.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(strict));
        Assert.Contains($"{Library}: kept the string '{env.Prefix}' unchanged: its tail '3.11.7'", deployed.StdErr, StringComparison.Ordinal);
        var lines = ProcessRunner.RunChecked(Path.Combine(relaxed, SharedTailProgramBuilder.ExecutableRelativePath), []).StdOut.Split('\n');
        Assert.Equal(["3.11.7", "3.11.7", env.Prefix, relaxed + SharedTailProgramBuilder.DataSuffix], lines[..4]);
    }

    [Fact]
    public void Dry_run_and_inspect_name_the_kept_string_before_anything_is_written()
    {
        var destination = Destination("dry");

        var dryRun = CliRunner.RunOk("deploy", env.Archive, "--prefix", destination, "--dry-run");
        var inspect = CliRunner.RunOk("inspect", env.Archive);

        Assert.Contains($"kept: {Library}: kept the string '{env.Prefix}'", dryRun.All, StringComparison.Ordinal);
        Assert.Contains($"{Library}: the string '{env.Prefix}' ends in '3.11.7'", inspect.All, StringComparison.Ordinal);
        Assert.False(Directory.Exists(destination));
    }

    /// <summary>Source prefix is WORK/py/3.11.7; each kind gets a directory of its own, shorter, as long or longer.</summary>
    private string Destination(string kind)
    {
        var stem = env.Work.Combine(kind[..1]);
        return kind switch
        {
            "equal" => stem + "/" + new string('e', env.Prefix.Length - stem.Length - 1),
            "longer" => stem + "/a-destination-much-longer-than-the-source-prefix/env",
            _ => stem,
        };
    }
}
