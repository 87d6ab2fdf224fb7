using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// Issue 12's CLI contract: parse errors are one line on stderr with exit 2 and nothing on stdout; the
/// output's name chooses the format, as in conda-pack; every value out of range is refused with its range.
/// </summary>
public sealed class CliContractTests(TinyEnvironment env) : IClassFixture<TinyEnvironment>
{
    [Theory]
    [InlineData("--compress-level: expected an integer, got 'abc'.", "pack", "--compress-level", "abc")]
    [InlineData("-j: expected an integer, got 'four'.", "pack", "-j", "four")]
    [InlineData("Unrecognized command or argument '--bogus'.", "deploy", "x.tar.zst", "--prefix", "/tmp/x", "--bogus")]
    [InlineData("Unrecognized command or argument 'bogus'.", "bogus")]
    [InlineData("Option '--prefix' is required.", "deploy", "x.tar.zst")]
    public void A_parse_error_is_one_line_on_stderr_with_a_help_hint_and_nothing_on_stdout(string error, params string[] args)
    {
        var result = CliRunner.Run(args);

        Assert.Equal((int)ExitCode.Usage, result.ExitCode);
        Assert.Equal("", result.StdOut);
        var command = args[0] is "pack" or "deploy" ? "envship " + args[0] : "envship";
        Assert.Equal([$"envship: error: {error}", $"Run '{command} --help' for usage."], Lines(result.StdErr));
        Assert.DoesNotContain("System.", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_goes_to_stdout_with_exit_0_and_version_works()
    {
        var help = CliRunner.Run("pack", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--compress-level", help.StdOut, StringComparison.Ordinal);
        Assert.Equal("", help.StdErr);

        var version = CliRunner.Run("--version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.StdOut);
    }

    [Theory]
    [InlineData("env.tar.gz", "gzip")]
    [InlineData("env.tgz", "gzip")]
    [InlineData("env.tar", "POSIX tar archive")]
    [InlineData("env.tar.zst", "Zstandard")]
    public void The_output_name_chooses_the_format_when_format_is_not_given(string name, string fileSays)
    {
        var archive = env.Work.Combine("named", name);
        Directory.CreateDirectory(Path.GetDirectoryName(archive)!);
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", archive, "-q", "-f");

        Assert.Contains(fileSays, ProcessRunner.RunChecked("file", ["-b", archive]).StdOut, StringComparison.Ordinal);
        var members = ProcessRunner.RunChecked("tar", ["-tf", archive]).StdOut;
        Assert.Contains("bin/tool", members, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gzip_name_unpacks_with_tar_xzf()
    {
        var archive = env.Work.Combine("xzf", "env.tar.gz");
        Directory.CreateDirectory(Path.GetDirectoryName(archive)!);
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", archive, "-q");
        var target = env.Work.CreateDirectory("xzf-out");

        ProcessRunner.RunChecked("tar", ["-xzf", archive, "-C", target]);

        Assert.True(File.Exists(Path.Combine(target, "lib", "config.txt")));
    }

    [Theory]
    [InlineData("env.zip", "zip")]
    [InlineData("env.tar.bz2", "tar.bz2")]
    [InlineData("env.tar.xz", "tar.xz")]
    [InlineData("env.squashfs", "squashfs")]
    [InlineData("env.bin", null)]
    public void A_name_envship_cannot_write_is_refused_with_the_names_it_can(string name, string? kind)
    {
        var output = env.Work.Combine("refused", name);

        var result = CliRunner.Run("pack", "-p", env.Prefix, "-o", output);

        Assert.Equal((int)ExitCode.Usage, result.ExitCode);
        var error = Lines(result.StdErr)[0];
        Assert.StartsWith($"envship: error: -o {output}: ", error, StringComparison.Ordinal);
        Assert.Contains(kind is null ? "cannot tell the archive format" : $"cannot write {kind} archives", error, StringComparison.Ordinal);
        Assert.Contains(".tar.zst (zstd), .tar.gz or .tgz (gzip) or .tar (uncompressed)", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(output)), "nothing is written for a refused name");
    }

    [Theory]
    [InlineData("env.tar.gz", "tar.zst", "says tar.gz")]
    [InlineData("env.tar.zst", "tar", "says tar.zst")]
    [InlineData("env.tar", "dir", "says tar")]
    public void A_format_that_contradicts_the_name_is_refused(string name, string format, string says)
    {
        var result = CliRunner.Run("pack", "-p", env.Prefix, "-o", env.Work.Combine(name), "--format", format);

        Assert.Equal((int)ExitCode.Usage, result.ExitCode);
        Assert.Contains($"--format {format} contradicts the output name", result.StdErr, StringComparison.Ordinal);
        Assert.Contains(says, result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_format_that_agrees_with_the_name_or_infer_is_accepted()
    {
        var agreed = env.Work.Combine("agree", "env.tgz");
        Directory.CreateDirectory(Path.GetDirectoryName(agreed)!);
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", agreed, "--format", "tar.gz", "-q");
        var inferred = env.Work.Combine("agree", "env.tar");
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", inferred, "--format", "infer", "-q");
        var directory = env.Work.Combine("agree", "env-dir");
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", directory, "--format", "dir", "-q");

        Assert.Contains("gzip", ProcessRunner.RunChecked("file", ["-b", agreed]).StdOut, StringComparison.Ordinal);
        Assert.Contains("POSIX tar archive", ProcessRunner.RunChecked("file", ["-b", inferred]).StdOut, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(directory, ".envship", "manifest.json")));
    }

    [Theory]
    [InlineData("--compress-level: gzip levels are 1 to 9 (default 6); got 15.", "--format", "tar.gz", "--compress-level", "15")]
    [InlineData("--compress-level: gzip levels are 1 to 9 (default 6); got 0.", "-o", "e.tar.gz", "--compress-level", "0")]
    [InlineData("--compress-level: zstd levels are 1 to 19 (default 3); got 0.", "--compress-level", "0")]
    [InlineData("--compress-level: zstd levels are 1 to 19 (default 3); got 22.", "--compress-level", "22")]
    [InlineData("--compress-level: zstd levels are 1 to 19 (default 3); got 99.", "--compress-level", "99")]
    [InlineData("--compress-level: zstd levels are 1 to 19 (default 3); got -5.", "--compress-level", "-5")]
    [InlineData("--compress-level: --format tar is not compressed. Drop --compress-level, or write tar.zst or tar.gz.", "--format", "tar", "--compress-level", "3")]
    [InlineData("-j: expected 1 to 1024 threads, or -1 for all cores; got -3.", "-j", "-3")]
    [InlineData("-j: expected 1 to 1024 threads, or -1 for all cores; got 0.", "-j", "0")]
    [InlineData("--n-threads: expected 1 to 1024 threads, or -1 for all cores; got 5000.", "--n-threads", "5000")]
    public void Values_out_of_range_are_refused_with_the_allowed_range(string error, params string[] args)
    {
        var work = env.Work.CreateDirectory("ranges-" + Guid.NewGuid().ToString("N"));
        var result = CliRunner.RunProcess(["pack", "-p", env.Prefix, .. args], workingDirectory: work);

        Assert.Equal((int)ExitCode.Usage, result.ExitCode);
        Assert.Equal("", result.StdOut);
        Assert.Equal([$"envship: error: {error}", "Run 'envship pack --help' for usage."], Lines(result.StdErr));
        Assert.Empty(Directory.EnumerateFileSystemEntries(work));
    }

    [Fact]
    public void The_edges_of_each_range_are_accepted()
    {
        var output = env.Work.CreateDirectory("edges");
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", Path.Combine(output, "19.tar.zst"), "--compress-level", "19", "-j", "-1", "-q");
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", Path.Combine(output, "1.tar.zst"), "--compress-level", "1", "-j", "1", "-q");
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", Path.Combine(output, "9.tar.gz"), "--compress-level", "9", "-q");
        Assert.Equal(3, Directory.EnumerateFiles(output).Count());
    }

    [Fact]
    public void Conda_pack_spellings_work_as_the_readme_table_says()
    {
        var work = env.Work.CreateDirectory("conda-pack-spellings");
        var tzst = Path.Combine(work, "env.tzst");
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", tzst, "-j", "-1", "-q");
        Assert.Contains("Zstandard", ProcessRunner.RunChecked("file", ["-b", tzst]).StdOut, StringComparison.Ordinal);

        var noArchive = Path.Combine(work, "env-dir");
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", noArchive, "--format", "no-archive", "-q");
        Assert.True(File.Exists(Path.Combine(noArchive, ".envship", "manifest.json")));

        var destination = Path.Combine(work, "planned", "env");
        var relocated = Path.Combine(work, "relocated.tar.zst");
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", relocated, "-d", destination, "-q");
        Assert.Contains($"source prefix: {destination}", CliRunner.RunOk("inspect", relocated).StdOut, StringComparison.Ordinal);

        var zipOnly = CliRunner.Run("pack", "-p", env.Prefix, "-o", Path.Combine(work, "never.tar.zst"), "--zip-symlinks");
        Assert.Equal((int)ExitCode.Usage, zipOnly.ExitCode);
        Assert.Contains("'--zip-symlinks'", zipOnly.StdErr, StringComparison.Ordinal);
    }

    internal static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
