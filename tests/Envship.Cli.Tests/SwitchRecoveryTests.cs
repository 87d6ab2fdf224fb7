using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Core.Deploy;
using Envship.Core.Platform;

namespace Envship.Cli.Tests;

/// <summary>
/// The states a crash inside the switch can leave, built by hand with the same renames envship does,
/// including those of the two-rename fallback that filesystems with RENAME_EXCHANGE never reach.
/// The next deploy or rollback must first make DEST wholly one tree again.
/// </summary>
public sealed class SwitchRecoveryTests(ReplaceArchives archives) : IClassFixture<ReplaceArchives>
{
    [Fact]
    public void Replace_cut_between_the_two_fallback_renames_is_finished_forward()
    {
        var layout = DeployAThenB("between-renames");
        var staging = Path.Combine(layout.Parent, $".env{StagingDirectory.Marker}cut");
        UnixFileSystem.Rename(layout.Destination, staging);
        WriteJournal(layout, staging, UnixFileSystem.Stat(staging).Inode);

        CliRunner.RunOk("deploy", archives.A, "--prefix", layout.Destination, "-q", "--replace");

        Assert.Equal(archives.A, Receipt.Load(layout.Destination).ArchivePath);
        Assert.Equal(archives.B, Receipt.Load(layout.Previous).ArchivePath);
        AssertClean(layout);
    }

    [Fact]
    public void Exchange_cut_before_the_old_tree_moved_to_previous_keeps_the_old_tree()
    {
        var layout = DeployAThenB("after-exchange");
        var staging = Path.Combine(layout.Parent, $".env{StagingDirectory.Marker}old");
        UnixFileSystem.Rename(layout.Previous, staging);
        WriteJournal(layout, staging, UnixFileSystem.Stat(layout.Destination).Inode);

        CliRunner.RunOk("rollback", layout.Destination);

        Assert.Equal(archives.A, Receipt.Load(layout.Destination).ArchivePath);
        Assert.Equal(archives.B, Receipt.Load(layout.Previous).ArchivePath);
        AssertClean(layout);
    }

    [Fact]
    public void Switch_that_never_happened_drops_the_staged_tree()
    {
        var layout = DeployAThenB("never-switched");
        var staging = Path.Combine(layout.Parent, $".env{StagingDirectory.Marker}unused");
        UnixFileSystem.Rename(layout.Previous, staging);
        WriteJournal(layout, staging, UnixFileSystem.Stat(staging).Inode);

        var result = CliRunner.Run("rollback", layout.Destination);

        Assert.Equal((int)ExitCode.NoPreviousVersion, result.ExitCode);
        Assert.Equal(archives.B, Receipt.Load(layout.Destination).ArchivePath);
        Assert.False(Directory.Exists(staging));
        AssertClean(layout);
    }

    [Fact]
    public void Switch_that_never_happened_puts_back_the_previous_tree_it_had_dropped()
    {
        var layout = DeployAThenB("dropped-previous");
        UnixFileSystem.Rename(layout.Previous, layout.NewTrashPath());
        var staging = Directory.CreateDirectory(Path.Combine(layout.Parent, $".env{StagingDirectory.Marker}staged")).FullName;
        File.WriteAllText(Path.Combine(staging, "staged-file"), "new");
        WriteJournal(layout, staging, UnixFileSystem.Stat(staging).Inode);

        CliRunner.RunOk("rollback", layout.Destination);

        Assert.Equal(archives.A, Receipt.Load(layout.Destination).ArchivePath);
        Assert.Equal(archives.B, Receipt.Load(layout.Previous).ArchivePath);
        Assert.Equal(["lock", "previous"], Directory.EnumerateFileSystemEntries(layout.StateDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        AssertClean(layout);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rollback_cut_inside_the_fallback_renames_is_finished(bool afterSecondRename)
    {
        var layout = DeployAThenB(afterSecondRename ? "rollback-late" : "rollback-early");
        UnixFileSystem.Rename(layout.Destination, layout.SwapTemporary);
        if (afterSecondRename)
        {
            UnixFileSystem.Rename(layout.Previous, layout.Destination);
        }

        // Recovery completes the cut rollback (A current), then this rollback swaps again.
        CliRunner.RunOk("rollback", layout.Destination);

        Assert.Equal(archives.B, Receipt.Load(layout.Destination).ArchivePath);
        Assert.Equal(archives.A, Receipt.Load(layout.Previous).ArchivePath);
        AssertClean(layout);
    }

    [Fact]
    public void Only_staging_trees_with_the_marker_are_removed()
    {
        var layout = DeployAThenB("leftovers");
        var ours = Directory.CreateDirectory(Path.Combine(layout.Parent, $".env{StagingDirectory.Marker}killed")).FullName;
        WriteMarker(ours, "999999\n");
        File.WriteAllText(Path.Combine(ours, "half-written"), "x");
        var foreign = Directory.CreateDirectory(Path.Combine(layout.Parent, $".env{StagingDirectory.Marker}not-ours")).FullName;
        File.WriteAllText(Path.Combine(foreign, "keep"), "mine");
        var target = archives.Work.CreateDirectory("leftovers-link-target");
        WriteMarker(target, "1\n");
        var link = Path.Combine(layout.Parent, $".env{StagingDirectory.Marker}link");
        File.CreateSymbolicLink(link, target);

        CliRunner.RunOk("deploy", archives.A, "--prefix", layout.Destination, "-q", "--replace");

        Assert.False(Directory.Exists(ours));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(foreign, "keep")));
        Assert.Equal(target, new FileInfo(link).LinkTarget);
        Assert.True(File.Exists(Path.Combine(target, StagingDirectory.MarkerFile)));
    }

    private static void WriteMarker(string stagingTree, string pid)
    {
        var marker = Path.Combine(stagingTree, StagingDirectory.MarkerFile);
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        File.WriteAllText(marker, pid);
    }

    private DeployLayout DeployAThenB(string name)
    {
        var destination = archives.Work.Combine(name, "env");
        CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "-q");
        CliRunner.RunOk("deploy", archives.B, "--prefix", destination, "-q", "--replace");
        return DeployLayout.For(destination);
    }

    private static void WriteJournal(DeployLayout layout, string staging, ulong newInode) =>
        File.WriteAllText(layout.JournalFile, $$"""{"staging":"{{staging}}","new_inode":{{newInode}},"replacing":true}""");

    private static void AssertClean(DeployLayout layout)
    {
        Assert.Equal(0, CliRunner.Run("verify", layout.Destination).ExitCode);
        if (Directory.Exists(layout.Previous))
        {
            Assert.Equal(0, CliRunner.Run("verify", layout.Previous).ExitCode);
        }

        Assert.Empty(Directory.EnumerateDirectories(layout.Parent, "*" + StagingDirectory.Marker + "*"));
        Assert.False(File.Exists(layout.JournalFile));
        Assert.False(Directory.Exists(layout.SwapTemporary));
    }
}
