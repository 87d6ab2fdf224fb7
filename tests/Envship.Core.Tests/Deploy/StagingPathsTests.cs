using Envship.Core.Deploy;

namespace Envship.Core.Tests.Deploy;

/// <summary>Whatever is already in staging, no directory or file is ever created through a symlink.</summary>
public sealed class StagingPathsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("envship-staging-paths-").FullName;

    [Theory]
    [InlineData("lib", "lib/evil")]
    [InlineData("lib", "lib/sub/evil")]
    [InlineData("a/lib", "a/lib/evil")]
    public void A_symlinked_parent_is_refused_and_its_target_stays_untouched(string link, string entry)
    {
        var staging = Directory.CreateDirectory(Path.Combine(_root, "staging")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(_root, "outside")).FullName;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(staging, link))!);
        File.CreateSymbolicLink(Path.Combine(staging, link), outside);
        var paths = new StagingPaths(staging, "test.tar");

        var error = Assert.Throws<EnvshipException>(() => paths.PrepareEntry(entry));

        Assert.Equal(ExitCode.DamagedArchive, error.Code);
        Assert.Contains($"'{link}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("symlink", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public void A_directory_entry_over_a_symlink_is_refused()
    {
        var staging = Directory.CreateDirectory(Path.Combine(_root, "staging")).FullName;
        Directory.CreateDirectory(Path.Combine(staging, "share"));
        File.CreateSymbolicLink(Path.Combine(staging, "alias"), "share");
        var paths = new StagingPaths(staging, "test.tar");

        Assert.Throws<EnvshipException>(() => paths.EnsureDirectory("alias"));
    }

    [Fact]
    public void An_existing_entry_is_never_reused()
    {
        var staging = Directory.CreateDirectory(Path.Combine(_root, "staging")).FullName;
        File.CreateSymbolicLink(Path.Combine(staging, "file"), "/etc/passwd");
        var paths = new StagingPaths(staging, "test.tar");

        var error = Assert.Throws<EnvshipException>(() => paths.PrepareEntry("file"));

        Assert.Contains("already exists", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_parents_are_created_as_real_directories()
    {
        var staging = Directory.CreateDirectory(Path.Combine(_root, "staging")).FullName;
        var paths = new StagingPaths(staging, "test.tar");

        var full = paths.PrepareEntry("a/b/c/file");

        Assert.Equal(Path.Combine(staging, "a/b/c/file"), full);
        Assert.True(Directory.Exists(Path.Combine(staging, "a/b/c")));
        Assert.Null(new DirectoryInfo(Path.Combine(staging, "a/b")).LinkTarget);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
