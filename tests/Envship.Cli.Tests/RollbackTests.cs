using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Core.Deploy;

namespace Envship.Cli.Tests;

/// <summary>Acceptance 4: rollback restores the previous tree byte for byte, and history shows both versions.</summary>
public sealed class RollbackTests(ReplaceArchives archives) : IClassFixture<ReplaceArchives>
{
    [Fact]
    public void Rollback_swaps_the_previous_tree_back_byte_for_byte_and_twice_returns_to_the_start()
    {
        var destination = archives.Work.Combine("rollback", "env");
        CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "-q");
        var treeA = TreeSnapshot.Take(destination);
        var shaA = Receipt.Load(destination).ManifestSha256!;

        CliRunner.RunOk("deploy", archives.B, "--prefix", destination, "-q", "--replace");
        var treeB = TreeSnapshot.Take(destination);
        var shaB = Receipt.Load(destination).ManifestSha256!;
        Assert.NotEqual(shaA, shaB);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);

        var history = CliRunner.RunOk("history", destination, "--json");
        using (var json = System.Text.Json.JsonDocument.Parse(history.StdOut))
        {
            var versions = json.RootElement.EnumerateArray().ToList();
            Assert.Equal(["current", "previous"], versions.Select(v => v.GetProperty("slot").GetString()));
            Assert.Equal([shaB, shaA], versions.Select(v => v.GetProperty("manifest_sha256").GetString()));
            Assert.Equal([archives.B, archives.A], versions.Select(v => v.GetProperty("archive_path").GetString()));
            Assert.All(versions, v => Assert.Equal(System.Text.Json.JsonValueKind.Null, v.GetProperty("signer_key_id").ValueKind));
            Assert.All(versions, v => Assert.True(v.GetProperty("deployed_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(-1)));
        }

        CliRunner.RunOk("rollback", destination);
        AssertSameTree(treeA, TreeSnapshot.Take(destination));
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
        var text = CliRunner.RunOk("history", destination).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("current", text[0], StringComparison.Ordinal);
        Assert.Contains(shaA, text[0], StringComparison.Ordinal);
        Assert.Contains(shaB, text[1], StringComparison.Ordinal);

        CliRunner.RunOk("rollback", destination);
        AssertSameTree(treeB, TreeSnapshot.Take(destination));
        Assert.Empty(Directory.EnumerateDirectories(Path.GetDirectoryName(destination)!, "*staging*"));
    }

    [Fact]
    public void Rollback_without_a_previous_version_says_so()
    {
        var destination = archives.Work.Combine("no-previous", "env");
        CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "-q");

        var result = CliRunner.Run("rollback", destination);

        Assert.Equal((int)ExitCode.NoPreviousVersion, result.ExitCode);
        Assert.Contains("no previous version", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("--replace", result.StdErr, StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
        Assert.Equal(["env"], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(destination)!).Select(Path.GetFileName));
    }

    [Fact]
    public void Only_the_newest_previous_tree_is_kept()
    {
        var destination = archives.Work.Combine("kept", "env");
        CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "-q");
        CliRunner.RunOk("deploy", archives.B, "--prefix", destination, "-q", "--replace");
        CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "-q", "--replace");

        var layout = DeployLayout.For(destination);
        Assert.Equal([layout.Destination, layout.Previous], DeployedVersions.List(destination).Select(v => v.Path));
        Assert.Equal(Receipt.Load(layout.Previous).ManifestSha256, DeployedVersions.List(destination)[1].ManifestSha256);
        Assert.Equal(["lock", "previous"], Directory.EnumerateFileSystemEntries(layout.StateDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_directory_envship_did_not_deploy_is_kept_and_can_be_rolled_back_to()
    {
        var destination = archives.Work.CreateDirectory(Path.Combine("foreign", "env"));
        File.WriteAllText(Path.Combine(destination, "keep.txt"), "mine");

        CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "-q", "--replace-foreign");
        var history = CliRunner.RunOk("history", destination).StdOut;
        Assert.Contains("not deployed by envship", history, StringComparison.Ordinal);

        CliRunner.RunOk("rollback", destination);
        Assert.Equal(["keep.txt"], Directory.EnumerateFileSystemEntries(destination).Select(Path.GetFileName));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(destination, "keep.txt")));
    }

    private static void AssertSameTree(Dictionary<string, TreeEntry> expected, Dictionary<string, TreeEntry> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, entry) in expected)
        {
            Assert.Equal(entry, actual[path]);
        }
    }
}
