using Envship.Core.Scanning;

namespace Envship.Core.Tests.Scanning;

public sealed class PathFilterTests
{
    [Theory]
    [InlineData("*.pyc", "lib/python3.11/__pycache__/a.cpython-311.pyc", true)]
    [InlineData("*.pyc", "lib/a.py", false)]
    [InlineData("share/doc/*", "share/doc/readme/x.txt", true)]
    [InlineData("lib/?.so", "lib/a.so", true)]
    [InlineData("lib/?.so", "lib/ab.so", false)]
    [InlineData("lib/[ab].so", "lib/b.so", true)]
    [InlineData("lib/[!ab].so", "lib/b.so", false)]
    [InlineData("bin/python3.11", "bin/python3x11", false)]
    public void Matches_like_fnmatch_where_star_crosses_slashes(string pattern, string path, bool excluded)
    {
        Assert.Equal(excluded, new PathFilter([pattern], []).IsExcluded(path));
    }

    [Fact]
    public void Include_puts_back_what_an_exclude_took_out()
    {
        var filter = new PathFilter(["share/*"], ["share/keep/*"]);

        Assert.True(filter.IsExcluded("share/drop/a"));
        Assert.False(filter.IsExcluded("share/keep/a"));
        Assert.False(filter.IsExcluded("bin/a"));
    }
}
