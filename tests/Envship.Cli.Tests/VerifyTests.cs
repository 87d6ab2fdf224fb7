using Envship.Cli.Tests.Fixtures;
using Envship.Core;

namespace Envship.Cli.Tests;

/// <summary>Acceptance 7: verify reports modified and deleted files, and is quiet on a clean prefix.</summary>
public sealed class VerifyTests(SmallEnvironment env) : IClassFixture<SmallEnvironment>
{
    [Fact]
    public void Clean_then_modified_and_deleted()
    {
        var archive = env.Pack("verify.tar.zst");
        var destination = env.Work.Combine("verify-target", "env");
        CliRunner.RunOk("deploy", archive, "--prefix", destination, "-q");

        var clean = CliRunner.Run("verify", destination);
        Assert.Equal(0, clean.ExitCode);
        Assert.Contains("clean", clean.StdOut, StringComparison.Ordinal);

        File.AppendAllText(Path.Combine(destination, "etc/example.conf"), "tampered\n");
        File.Delete(Path.Combine(destination, "share/hard-b"));
        File.WriteAllText(Path.Combine(destination, "share/new-file"), "x");

        var drift = CliRunner.Run("verify", destination);
        Assert.Equal((int)ExitCode.Drift, drift.ExitCode);
        Assert.Contains("modified  etc/example.conf", drift.StdOut, StringComparison.Ordinal);
        Assert.Contains("missing   share/hard-b", drift.StdOut, StringComparison.Ordinal);
        Assert.Contains("added     share/new-file", drift.StdOut, StringComparison.Ordinal);

        var json = CliRunner.Run("verify", destination, "--json");
        Assert.Equal((int)ExitCode.Drift, json.ExitCode);
        using var report = System.Text.Json.JsonDocument.Parse(json.StdOut);
        Assert.Equal("share/hard-b", report.RootElement.GetProperty("missing")[0].GetString());
    }
}
