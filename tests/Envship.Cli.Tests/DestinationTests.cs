using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Core.Deploy;

namespace Envship.Cli.Tests;

/// <summary>
/// Issue 12, the destination: a DEST that is a symlink is refused before anything is written, and
/// <c>--replace</c> moves aside only a tree envship deployed unless <c>--replace-foreign</c> says otherwise.
/// </summary>
public sealed class DestinationTests(ReplaceArchives archives) : IClassFixture<ReplaceArchives>
{
    [Theory]
    [InlineData("empty-directory")]
    [InlineData("dangling")]
    [InlineData("file")]
    public void A_destination_that_is_a_symlink_is_refused_naming_the_link_where_it_points_and_the_fix(string kind)
    {
        var root = archives.Work.CreateDirectory("link-" + kind);
        var target = Path.Combine(root, "real", "env");
        if (kind == "empty-directory")
        {
            Directory.CreateDirectory(target);
        }
        else if (kind == "file")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, "x");
        }

        var parent = Directory.CreateDirectory(Path.Combine(root, "envs")).FullName;
        var link = Path.Combine(parent, "env");
        File.CreateSymbolicLink(link, target);
        var before = TreeSnapshot.Take(root);

        foreach (var extra in new[] { Array.Empty<string>(), ["--replace"], ["--dry-run"] })
        {
            var result = CliRunner.Run(["deploy", archives.A, "--prefix", link, .. extra]);

            Assert.True(result.ExitCode == (int)ExitCode.Usage, $"{string.Join(' ', extra)}: exit {result.ExitCode}\n{result.All}");
            Assert.Contains($"{link}: DEST is a symlink to '{target}'", result.StdErr, StringComparison.Ordinal);
            Assert.Contains($"--prefix {target}", result.StdErr, StringComparison.Ordinal);
            Assert.Contains("remove the symlink", result.StdErr, StringComparison.Ordinal);
            Assert.Contains("nothing was written", result.StdErr, StringComparison.Ordinal);
        }

        Assert.Equal(before, TreeSnapshot.Take(root));
        Assert.Equal(["env"], Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName));
    }

    [Fact]
    public void Replace_and_rollback_through_a_symlink_to_a_deployed_tree_are_refused_and_the_tree_is_kept()
    {
        var real = archives.Work.Combine("linked-deployed", "real", "env");
        CliRunner.RunOk("deploy", archives.A, "--prefix", real, "-q");
        CliRunner.RunOk("deploy", archives.B, "--prefix", real, "-q", "--replace");
        var link = archives.Work.Combine("linked-deployed", "env");
        File.CreateSymbolicLink(link, real);

        var replace = CliRunner.Run("deploy", archives.A, "--prefix", link, "--replace");
        var rollback = CliRunner.Run("rollback", link);

        Assert.Equal((int)ExitCode.Usage, replace.ExitCode);
        Assert.Equal((int)ExitCode.Usage, rollback.ExitCode);
        Assert.Contains($"--prefix {real}", rollback.StdErr, StringComparison.Ordinal);
        Assert.Equal(real, new FileInfo(link).LinkTarget);
        Assert.Equal(archives.B, Receipt.Load(real).ArchivePath);
        Assert.Equal(archives.A, Receipt.Load(DeployLayout.For(real).Previous).ArchivePath);
        Assert.False(Directory.Exists(DeployLayout.For(link).StateDirectory));

        // The fix the message gives works.
        CliRunner.RunOk("rollback", real);
        Assert.Equal(archives.A, Receipt.Load(real).ArchivePath);
    }

    [Fact]
    public void Replace_over_a_directory_envship_did_not_deploy_is_refused_without_replace_foreign()
    {
        var destination = archives.Work.CreateDirectory(Path.Combine("foreign-refused", "env"));
        File.WriteAllText(Path.Combine(destination, "mine.txt"), "mine");
        var parent = Path.GetDirectoryName(destination)!;

        var result = CliRunner.Run("deploy", archives.A, "--prefix", destination, "--replace");

        Assert.True(result.ExitCode == (int)ExitCode.DestinationExists, result.All);
        Assert.Contains($"{destination}: DEST was not deployed by envship", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("--replace-foreign", result.StdErr, StringComparison.Ordinal);
        Assert.Equal(["mine.txt"], Directory.EnumerateFileSystemEntries(destination).Select(Path.GetFileName));
        Assert.Equal(["env"], Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName));
    }

    [Fact]
    public void Replace_foreign_keeps_the_foreign_tree_as_the_previous_version_and_says_so()
    {
        var destination = archives.Work.CreateDirectory(Path.Combine("foreign-kept", "env"));
        File.WriteAllText(Path.Combine(destination, "mine.txt"), "mine");
        var layout = DeployLayout.For(destination);

        var result = CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "--replace-foreign");

        Assert.Contains(
            $"DEST was not deployed by envship; it is kept as the previous version at {layout.Previous}; 'envship rollback {destination}' brings it back",
            result.StdErr,
            StringComparison.Ordinal);
        Assert.Equal(archives.A, Receipt.Load(destination).ArchivePath);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(layout.Previous, "mine.txt")));

        // Over a tree envship deployed, --replace needs no more, and no note is printed.
        var again = CliRunner.RunOk("deploy", archives.B, "--prefix", destination, "--replace");
        Assert.DoesNotContain("not deployed by envship", again.StdErr, StringComparison.Ordinal);
    }
}
