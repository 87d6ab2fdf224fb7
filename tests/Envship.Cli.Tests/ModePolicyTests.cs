using System.Text.Json.Nodes;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// Issue 12, modes: sticky and world-writable bits from the archive are dropped like setuid and setgid unless
/// <c>--preserve-special-bits</c>, <c>verify</c> agrees with what was deployed, and a mode outside 0-07777 is refused.
/// </summary>
public sealed class ModePolicyTests : IDisposable
{
    private readonly TempDirectory _work = new("envship-modes-");
    private readonly string _prefix;

    public ModePolicyTests()
    {
        _prefix = _work.Combine("src", "modes-env");
        _work.WriteFile("src/modes-env/conda-meta/history", "");
        Write("share/open.txt", "anyone may write this\n", "666");
        Write("share/all/inside.txt", "in a world-writable directory\n", "644");
        Write("share/sticky/inside.txt", "in a sticky directory\n", "644");
        Write("bin/every-bit", "#!/bin/sh\n", "7777");
        File.SetUnixFileMode(Path.Combine(_prefix, "share", "all"), (UnixFileMode)Octal("777"));
        File.SetUnixFileMode(Path.Combine(_prefix, "share", "sticky"), (UnixFileMode)Octal("1755"));
    }

    [Fact]
    public void Sticky_and_world_writable_bits_are_dropped_by_default_and_verify_agrees()
    {
        var archive = Pack("modes.tar.zst");
        var destination = _work.Combine("out", "default");

        CliRunner.RunOk("deploy", archive, "--prefix", destination, "-q");

        Assert.Equal("664", ModeOf(destination, "share/open.txt"));
        Assert.Equal("775", ModeOf(destination, "share/all"));
        Assert.Equal("755", ModeOf(destination, "share/sticky"));
        Assert.Equal("775", ModeOf(destination, "bin/every-bit"));
        var verify = CliRunner.Run("verify", destination);
        Assert.True(verify.ExitCode == 0, verify.All);

        // A later chmod back to the archive's mode is drift: verify checks the modes as deployed.
        File.SetUnixFileMode(Path.Combine(destination, "share", "open.txt"), (UnixFileMode)Octal("666"));
        var drift = CliRunner.Run("verify", destination);
        Assert.Equal((int)ExitCode.Drift, drift.ExitCode);
        Assert.Contains("share/open.txt", drift.All, StringComparison.Ordinal);
    }

    [Fact]
    public void Preserve_special_bits_keeps_them_and_verify_agrees()
    {
        var archive = Pack("modes-kept.tar.zst");
        var destination = _work.Combine("out", "kept");

        CliRunner.RunOk("deploy", archive, "--prefix", destination, "-q", "--preserve-special-bits");

        Assert.Equal("666", ModeOf(destination, "share/open.txt"));
        Assert.Equal("777", ModeOf(destination, "share/all"));
        Assert.Equal("1755", ModeOf(destination, "share/sticky"));
        Assert.Equal("7777", ModeOf(destination, "bin/every-bit"));
        var verify = CliRunner.Run("verify", destination);
        Assert.True(verify.ExitCode == 0, verify.All);
    }

    [Theory]
    [InlineData(-1, "-1")]
    [InlineData(4096, "010000")]
    public void A_manifest_mode_outside_0_to_07777_is_refused_and_names_the_entry(int mode, string shown)
    {
        var archive = _work.Combine($"bad-mode{shown}");
        CliRunner.RunOk("pack", "-p", _prefix, "-o", archive, "--format", "dir", "-q");
        var manifestPath = Path.Combine(archive, Manifest.EntryName);
        var json = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        var entry = json["entries"]!.AsArray().Single(e => (string?)e!["path"] == "share/sticky")!;
        entry["mode"] = mode;
        File.WriteAllText(manifestPath, json.ToJsonString());
        var parent = _work.CreateDirectory($"bad-mode-parent{shown}");

        var result = CliRunner.Run("deploy", archive, "--prefix", Path.Combine(parent, "env"));

        Assert.True(result.ExitCode == (int)ExitCode.DamagedArchive, result.All);
        Assert.Contains($"entry 'share/sticky' has mode {shown}, outside 0 to 07777", result.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    public void Dispose() => _work.Dispose();

    private string Pack(string name)
    {
        var archive = _work.Combine(name);
        CliRunner.RunOk("pack", "-p", _prefix, "-o", archive, "-q");
        return archive;
    }

    private void Write(string relative, string content, string mode)
    {
        var path = _work.WriteFile($"src/modes-env/{relative}", content);
        File.SetUnixFileMode(path, (UnixFileMode)Octal(mode));
    }

    private static string ModeOf(string root, string relative) =>
        Convert.ToString((int)File.GetUnixFileMode(Path.Combine(root, relative)), 8);

    private static int Octal(string digits) => Convert.ToInt32(digits, 8);
}
