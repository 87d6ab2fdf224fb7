using System.Text.Json;
using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Core.Deploy;

namespace Envship.Cli.Tests;

/// <summary>Issue 13, acceptance 7: deploying the content DEST already holds writes nothing and keeps the real previous version.</summary>
public sealed class IdempotentDeployTests(ReplaceArchives archives) : IClassFixture<ReplaceArchives>
{
    [Fact]
    public void A_second_replace_of_the_same_archive_is_unchanged_touches_nothing_and_keeps_the_real_previous_version()
    {
        var destination = archives.Work.Combine("again", "env");
        var layout = DeployLayout.For(destination);
        CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "-q");
        var shaA = Receipt.Load(destination).ManifestSha256!;
        CliRunner.RunOk("deploy", archives.B, "--prefix", destination, "-q", "--replace");
        var shaB = Receipt.Load(destination).ManifestSha256!;
        var tree = TreeSnapshot.Take(destination);
        var previous = TreeSnapshot.Take(layout.Previous);
        var receipt = File.ReadAllBytes(Path.Combine(destination, Receipt.RelativePath));
        var root = Core.Platform.UnixFileSystem.Stat(destination);

        var again = CliRunner.Run("deploy", archives.B, "--prefix", destination, "--replace");

        Assert.Equal(0, again.ExitCode);
        Assert.StartsWith($"unchanged: {destination} already holds sha256:{shaB} (deployed ", again.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("deployed 2", again.StdErr, StringComparison.Ordinal);
        Assert.Equal(tree, TreeSnapshot.Take(destination));
        Assert.Equal(previous, TreeSnapshot.Take(layout.Previous));
        Assert.Equal(receipt, File.ReadAllBytes(Path.Combine(destination, Receipt.RelativePath)));
        Assert.Equal(root, Core.Platform.UnixFileSystem.Stat(destination));
        Assert.Equal([shaB, shaA], DeployedVersions.List(destination).Select(v => v.ManifestSha256));
        Assert.Empty(Directory.EnumerateDirectories(layout.Parent, "*staging*"));

        CliRunner.RunOk("rollback", destination);
        Assert.Equal(shaA, Receipt.Load(destination).ManifestSha256);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
    }

    [Fact]
    public void A_plain_deploy_of_the_current_content_is_unchanged_but_other_content_still_needs_replace()
    {
        var destination = archives.Work.Combine("plain", "env");
        CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "-q");
        var tree = TreeSnapshot.Take(destination);

        var json = CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "--json");
        using (var document = JsonDocument.Parse(json.StdOut))
        {
            Assert.False(document.RootElement.GetProperty("changed").GetBoolean());
            Assert.Equal(Receipt.Load(destination).ManifestSha256, document.RootElement.GetProperty("manifest_sha256").GetString());
            Assert.Equal(Receipt.Load(destination).DeployedAt, document.RootElement.GetProperty("deployed_at").GetDateTimeOffset());
        }

        Assert.Equal(tree, TreeSnapshot.Take(destination));
        Assert.False(Directory.Exists(DeployLayout.For(destination).Previous));
        Assert.Equal((int)ExitCode.DestinationExists, CliRunner.Run("deploy", archives.B, "--prefix", destination, "-q").ExitCode);

        var changed = CliRunner.RunOk("deploy", archives.B, "--prefix", destination, "--replace", "--json");
        using (var document = JsonDocument.Parse(changed.StdOut))
        {
            Assert.True(document.RootElement.GetProperty("changed").GetBoolean());
        }
    }

    [Fact]
    public void Dry_run_says_unchanged_and_reads_no_member()
    {
        var destination = archives.Work.Combine("dry", "env");
        CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "-q");

        var text = CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "--dry-run");
        Assert.Contains($"unchanged: {destination} already holds sha256:", text.StdOut, StringComparison.Ordinal);

        var json = CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "--dry-run", "--json");
        using var document = JsonDocument.Parse(json.StdOut);
        Assert.False(document.RootElement.GetProperty("changed").GetBoolean());
        Assert.True(document.RootElement.GetProperty("dry_run").GetBoolean());
    }

    [Fact]
    public void Drift_is_not_repaired_by_an_unchanged_deploy_but_redeploy_repairs_it()
    {
        var destination = archives.Work.Combine("drift", "env");
        CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "-q");
        File.AppendAllText(Path.Combine(destination, "share", "f0.txt"), "edited by hand\n");

        Assert.Contains("unchanged", CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "--replace").StdOut, StringComparison.Ordinal);
        Assert.Equal((int)ExitCode.Drift, CliRunner.Run("verify", destination).ExitCode);
        Assert.Equal((int)ExitCode.DestinationExists, CliRunner.Run("deploy", archives.A, "--prefix", destination, "--redeploy", "-q").ExitCode);

        var redeployed = CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "--replace", "--redeploy", "--json");
        using var document = JsonDocument.Parse(redeployed.StdOut);
        Assert.True(document.RootElement.GetProperty("changed").GetBoolean());
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
    }

    [Fact]
    public void Other_permissions_are_not_unchanged()
    {
        var source = archives.Work.CreateDirectory("private-env");
        archives.Work.WriteFile("private-env/conda-meta/history", "==> 2024-01-01 00:00:00 <==\n");
        var tool = archives.Work.WriteFile("private-env/bin/tool", "#!/bin/sh\necho tool\n");
        File.SetUnixFileMode(tool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var archive = archives.Work.Combine("private.tar.zst");
        CliRunner.RunOk("pack", "-p", source, "-o", archive, "-q");
        var destination = archives.Work.Combine("shared", "env");
        CliRunner.RunOk("deploy", archive, "--prefix", destination, "-q");

        var shared = CliRunner.RunOk("deploy", archive, "--prefix", destination, "--replace", "--shared", "--json");

        using var document = JsonDocument.Parse(shared.StdOut);
        Assert.True(document.RootElement.GetProperty("changed").GetBoolean());
        Assert.NotEqual(0, (int)(File.GetUnixFileMode(Path.Combine(destination, "bin", "tool")) & UnixFileMode.GroupExecute));
        Assert.Contains("unchanged", CliRunner.RunOk("deploy", archive, "--prefix", destination, "--replace", "--shared").StdOut, StringComparison.Ordinal);
    }
}
