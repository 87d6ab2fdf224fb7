using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Tests.Archive;

public sealed class ArchivePathsTests
{
    [Theory]
    [InlineData("", "is empty")]
    [InlineData("/etc/passwd", "is an absolute path")]
    [InlineData("../x", "'..' component")]
    [InlineData("a/../../x", "'..' component")]
    [InlineData("a/./b", "'.' component")]
    [InlineData("a//b", "empty component")]
    [InlineData("a\0b", "NUL byte")]
    public void Unsafe_paths_are_named_with_their_problem(string path, string problem)
    {
        Assert.Contains(problem, ArchivePaths.Problem(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Overlong_names_are_refused()
    {
        Assert.Contains("component longer", ArchivePaths.Problem(new string('a', 256)), StringComparison.Ordinal);
        Assert.Contains("longer than 4095", ArchivePaths.Problem(string.Join('/', Enumerable.Repeat(new string('a', 200), 21))), StringComparison.Ordinal);
    }

    /// <summary>Limits are in UTF-8 bytes, whatever the number of characters.</summary>
    [Fact]
    public void Limits_count_utf8_bytes()
    {
        Assert.Null(ArchivePaths.Problem(new string('€', 85)));
        Assert.Contains("component longer", ArchivePaths.Problem("a/" + new string('€', 86)), StringComparison.Ordinal);
        Assert.Contains("component longer", ArchivePaths.Problem(string.Concat(Enumerable.Repeat("😀", 64))), StringComparison.Ordinal);
        Assert.Null(ArchivePaths.Problem(string.Concat(Enumerable.Repeat("😀", 63))));
        var path = string.Join('/', Enumerable.Repeat(new string('€', 85), 16));
        Assert.Null(ArchivePaths.Problem(path));
        Assert.Contains("longer than 4095", ArchivePaths.Problem(path + "/a"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bin/python")]
    [InlineData("lib/python3.11/site-packages/a..b")]
    [InlineData(".envship/receipt.json")]
    public void Plain_relative_paths_pass(string path) => Assert.Null(ArchivePaths.Problem(path));

    [Theory]
    [InlineData("lib/x", "/usr/lib/x", true)]
    [InlineData("lib/x", "../../etc", true)]
    [InlineData("lib/x", "../share", false)]
    [InlineData("a/b/c", "../../d", false)]
    [InlineData("a/b/c", "../../../d", true)]
    [InlineData("x", "./y", false)]
    public void Symlinks_leaving_the_prefix_are_recognised(string link, string target, bool leaves) =>
        Assert.Equal(leaves, ArchivePaths.LeavesPrefix(link, target));
}
