using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>Acceptance 11 and the CLI contract: defaults, refusals, formats and summaries.</summary>
public sealed class CliBehaviourTests(SmallEnvironment env) : IClassFixture<SmallEnvironment>
{
    [Fact]
    public void Readme_main_job_runs_end_to_end_without_naming_an_environment_and_removes_what_it_made()
    {
        var result = CliRunner.RunProcess(["demo"]);

        Assert.True(result.ExitCode == 0, result.StdOut + result.StdErr);
        Assert.Contains("verify: clean", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("Demo succeeded", result.StdOut, StringComparison.Ordinal);
        var work = System.Text.RegularExpressions.Regex.Match(result.StdOut, @"at (/\S+)/source/sample-env").Groups[1].Value;
        Assert.StartsWith(Path.Combine(Path.GetTempPath(), "envship-demo-"), work + "/", StringComparison.Ordinal);
        Assert.False(Directory.Exists(work), $"demo left {work} behind");
    }

    [Fact]
    public void Demo_keep_says_where_its_trees_are_and_the_sample_history_has_no_byte_order_mark()
    {
        var work = env.Work.Combine("demo");
        var result = CliRunner.RunProcess(["demo", "--workdir", work, "--keep"]);

        Assert.True(result.ExitCode == 0, result.StdOut + result.StdErr);
        Assert.Contains($"Kept in {work}: ", result.StdOut, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(work, "sample-env.tar.zst")));
        var history = File.ReadAllBytes(Path.Combine(work, "deployed", "a-much-longer-path", "sample-env", "conda-meta", "history"));
        Assert.StartsWith("==> ", System.Text.Encoding.UTF8.GetString(history), StringComparison.Ordinal);
        Assert.NotEqual((byte)0xEF, history[0]);

        // The pack line and the verify line count the same entries.
        var packed = System.Text.RegularExpressions.Regex.Match(result.StdOut, @"packed (\d+) entries").Groups[1].Value;
        Assert.Matches($@"verify: clean, \d+ entries checked: the {packed} packed and the \d+ deploy added", result.StdOut);

        var withoutKeep = env.Work.Combine("demo-no-keep");
        Directory.CreateDirectory(withoutKeep);
        File.WriteAllText(Path.Combine(withoutKeep, "mine.txt"), "not the demo's");
        Assert.Equal(0, CliRunner.RunProcess(["demo", "--workdir", withoutKeep]).ExitCode);
        Assert.Equal(["mine.txt"], Directory.EnumerateFileSystemEntries(withoutKeep).Select(Path.GetFileName));
    }

    [Fact]
    public void Pack_without_an_environment_uses_CONDA_PREFIX_or_says_what_to_do()
    {
        var environment = new Dictionary<string, string?> { ["CONDA_PREFIX"] = null };
        var refused = CliRunner.RunProcess(["pack"], environment, env.Work.Path);
        Assert.Equal((int)ExitCode.Usage, refused.ExitCode);
        Assert.Contains("CONDA_PREFIX", refused.StdErr, StringComparison.Ordinal);

        var output = env.Work.CreateDirectory("from-conda-prefix");
        environment["CONDA_PREFIX"] = env.Prefix;
        var packed = CliRunner.RunProcess(["pack", "-q"], environment, output);
        Assert.True(packed.ExitCode == 0, packed.StdErr);
        Assert.True(File.Exists(Path.Combine(output, "small-env.tar.zst")), "the default output name is <env name>.tar.zst");
    }

    [Fact]
    public void Pack_never_overwrites_without_force()
    {
        var archive = env.Pack("exists.tar.zst");
        var before = File.ReadAllBytes(archive);
        var refused = CliRunner.Run("pack", "-p", env.Prefix, "-o", archive);
        Assert.Equal((int)ExitCode.DestinationExists, refused.ExitCode);
        Assert.Contains("-f", refused.StdErr, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(archive));
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", archive, "-f", "-q");
        Assert.Empty(Directory.EnumerateFileSystemEntries(env.Work.Path, "*.envship-*"));
    }

    [Fact]
    public void Deploy_refuses_a_non_empty_destination_and_leaves_it_alone()
    {
        var archive = env.Pack("nonempty.tar.zst");
        var destination = env.Work.CreateDirectory("occupied");
        File.WriteAllText(Path.Combine(destination, "keep.txt"), "mine");

        var result = CliRunner.Run("deploy", archive, "--prefix", destination);

        Assert.Equal((int)ExitCode.DestinationExists, result.ExitCode);
        Assert.Contains("not empty", result.StdErr, StringComparison.Ordinal);
        Assert.Equal(["keep.txt"], Directory.EnumerateFileSystemEntries(destination).Select(Path.GetFileName));
    }

    [Fact]
    public void Dest_prefix_relocates_at_pack_time_so_deploying_there_rewrites_nothing()
    {
        var destination = env.Work.Combine("planned", "target", "env");
        var archive = env.Pack("dest-prefix.tar.zst", "--dest-prefix", destination);

        var inspect = CliRunner.RunOk("inspect", archive);
        Assert.Contains($"source prefix: {destination} (packed from {env.Prefix})", inspect.StdOut, StringComparison.Ordinal);
        var deploy = CliRunner.RunOk("deploy", archive, "--prefix", destination, "--json");
        Assert.Contains("\"files_relocated\": 0", deploy.StdOut, StringComparison.Ordinal);
        Assert.Contains(destination, File.ReadAllText(Path.Combine(destination, CondaPrefixBuilder.ExampleConf)), StringComparison.Ordinal);
        Assert.Contains(destination + "/share/greeter", ProcessRunner.RunChecked(Path.Combine(destination, env.Built.Greeter!.ExecutableRelativePath), []).StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Dir_format_and_arcroot_deploy_like_any_archive()
    {
        var directoryArchive = env.Work.Combine("as-dir");
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", directoryArchive, "--format", "dir", "-q");
        Assert.True(File.Exists(Path.Combine(directoryArchive, ".envship/manifest.json")));
        CliRunner.RunOk("deploy", directoryArchive, "--prefix", env.Work.Combine("from-dir", "env"), "-q");
        Assert.Equal(0, CliRunner.Run("verify", env.Work.Combine("from-dir", "env")).ExitCode);

        var rooted = env.Pack("rooted.tar.zst", "--arcroot", "small-env-1.0");
        var members = ProcessRunner.RunChecked("tar", ["--zstd", "-tf", rooted]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(members, m => Assert.StartsWith("small-env-1.0/", m, StringComparison.Ordinal));
        CliRunner.RunOk("deploy", rooted, "--prefix", env.Work.Combine("from-arcroot", "env"), "-q");
        Assert.True(File.Exists(env.Work.Combine("from-arcroot", "env", CondaPrefixBuilder.ExampleConf)));
    }

    [Fact]
    public void Inspect_summarizes_and_json_prints_the_whole_manifest()
    {
        var archive = env.Pack("inspect.tar.zst");
        var text = CliRunner.RunOk("inspect", archive).StdOut;
        Assert.Contains($"source prefix: {env.Prefix}", text, StringComparison.Ordinal);
        Assert.Contains("conda packages", text, StringComparison.Ordinal);
        Assert.Contains("relocations:", text, StringComparison.Ordinal);

        using var json = System.Text.Json.JsonDocument.Parse(CliRunner.RunOk("inspect", archive, "--json").StdOut);
        Assert.Equal(env.Prefix, json.RootElement.GetProperty("source_prefix").GetString());
        Assert.True(json.RootElement.GetProperty("entries").GetArrayLength() > 10);
    }

    [Fact]
    public void Archives_made_for_another_platform_are_refused_before_writing()
    {
        var directoryArchive = env.Work.Combine("foreign");
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", directoryArchive, "--format", "dir", "-q");
        var manifestPath = Path.Combine(directoryArchive, ".envship/manifest.json");
        File.WriteAllText(manifestPath, File.ReadAllText(manifestPath).Replace("\"arch\": \"x86_64\"", "\"arch\": \"aarch64\"", StringComparison.Ordinal).Replace("\"subdir\": \"linux-64\"", "\"subdir\": \"linux-aarch64\"", StringComparison.Ordinal));
        var destination = env.Work.Combine("foreign-target", "env");

        var result = CliRunner.Run("deploy", directoryArchive, "--prefix", destination);

        Assert.Equal((int)ExitCode.PlatformMismatch, result.ExitCode);
        Assert.Contains("linux-aarch64", result.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(destination));
    }

    [Fact]
    public void Added_activate_and_deactivate_scripts_work_in_plain_sh_after_deploying_into_an_empty_directory()
    {
        var archive = env.Pack("activate.tar.zst");
        var destination = env.Work.CreateDirectory(Path.Combine("activate-target", "my env"));
        CliRunner.RunOk("deploy", archive, "--prefix", destination, "-q");

        var script = $$"""
            PATH=/usr/bin:/bin
            . '{{destination}}/bin/activate'
            echo "prefix=$CONDA_PREFIX"
            echo "test=$TEST"
            echo "path=$PATH"
            . "$CONDA_PREFIX/bin/deactivate"
            echo "after=${CONDA_PREFIX:-unset} $PATH"
            """;
        var output = ProcessRunner.RunChecked("sh", ["-c", script]).StdOut;

        Assert.Contains($"prefix={destination}\n", output, StringComparison.Ordinal);
        Assert.Contains("test=teststringfromactivate", output, StringComparison.Ordinal);
        Assert.Contains($"{destination}/bin:/usr/bin:/bin", output, StringComparison.Ordinal);
        Assert.Contains("after=unset /usr/bin:/bin", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Deploy_tells_the_format_by_magic_bytes_not_by_name()
    {
        var archive = env.Pack("really-gzip.tar.gz", "--format", "tar.gz");
        var misnamed = env.Work.Combine("misnamed.tar.zst");
        File.Copy(archive, misnamed);

        CliRunner.RunOk("deploy", misnamed, "--prefix", env.Work.Combine("magic", "env"), "-q");

        var notAnArchive = env.Work.WriteFile("notes.tar.zst", "just some text, not an archive");
        var refused = CliRunner.Run("deploy", notAnArchive, "--prefix", env.Work.Combine("magic2", "env"));
        Assert.Equal((int)ExitCode.DamagedArchive, refused.ExitCode);
        Assert.Contains("not a tar, tar.zst or tar.gz archive", refused.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 130)]
    [InlineData("HUP", 129)]
    public void An_interrupted_pack_leaves_nothing_behind(string signal, int exitCode)
    {
        var output = env.Work.CreateDirectory("interrupted-" + signal);
        var archive = Path.Combine(output, "big.tar.zst");
        var big = env.Work.Combine("big-env-" + signal);
        env.Build(big);
        var blob = new byte[64 << 20];
        new Random(1).NextBytes(blob);
        for (var i = 0; i < 8; i++)
        {
            File.WriteAllBytes(Path.Combine(big, "share", $"blob-{i}.bin"), blob);
        }

        var assembly = Path.Combine(AppContext.BaseDirectory, "envship.dll");
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet", [assembly, "pack", "-p", big, "-o", archive, "--compress-level", "19", "-j", "1"]) { RedirectStandardError = true })!;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Directory.EnumerateFiles(output, "*.envship-tmp-*").Any() && !process.HasExited && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        Assert.False(process.HasExited, "the pack finished before it could be interrupted");
        ProcessRunner.RunChecked("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(process.WaitForExit(60_000));

        Assert.Equal(exitCode, process.ExitCode);
        Assert.Contains("interrupted", process.StandardError.ReadToEnd(), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
        Directory.Delete(big, recursive: true);
    }
}
