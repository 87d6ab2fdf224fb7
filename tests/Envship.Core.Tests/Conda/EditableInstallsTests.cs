using Envship.Core.Conda;
using Envship.Testing;

namespace Envship.Core.Tests.Conda;

public sealed class EditableInstallsTests
{
    private const string Site = "lib/python3.12/site-packages/";

    [Fact]
    public void Real_environment_has_no_editable_installs() =>
        Assert.Empty(EditableInstalls.Find(RealEnvironment.Prefix));

    [Fact]
    public void Reports_pep610_editable_outside_the_prefix_only()
    {
        using var temp = new TempDirectory();
        using var outside = new TempDirectory();
        var env = temp.CreateDirectory("env");
        AddDistInfo(temp, "foo-1.0", "foo", new Uri(outside.Path).AbsoluteUri);
        AddDistInfo(temp, "inside-1.0", "inside", new Uri(Path.Combine(env, "src", "inside")).AbsoluteUri);

        var found = EditableInstalls.Find(env);

        var foo = Assert.Single(found);
        Assert.Equal("foo", foo.PackageName);
        Assert.Equal(Site + "foo-1.0.dist-info/direct_url.json", foo.Evidence);
        Assert.Equal(outside.Path, foo.PointsTo);
    }

    [Fact]
    public void Reports_egg_links_outside_the_prefix()
    {
        using var temp = new TempDirectory();
        var env = temp.CreateDirectory("env");
        temp.WriteFile("env/" + Site + "Legacy-Pkg.egg-link", "/home/me/legacy\n.\n");
        temp.WriteFile("env/" + Site + "inside.egg-link", Path.Combine(env, "src", "inside") + "\n.\n");
        temp.WriteFile("env/" + Site + "relative.egg-link", "../../../src/rel\n");
        temp.WriteFile("env/" + Site + "empty.egg-link", "");

        var found = EditableInstalls.Find(env);

        var legacy = Assert.Single(found);
        Assert.Equal(new EditableInstall("Legacy-Pkg", Site + "Legacy-Pkg.egg-link", "/home/me/legacy"), legacy);
    }

    [Fact]
    public void Reports_absolute_pth_lines_outside_the_prefix()
    {
        using var temp = new TempDirectory();
        var env = temp.CreateDirectory("env");
        temp.WriteFile("env/" + Site + "__editable__.foo-1.0.pth", "/home/me/foo/src\n");
        temp.WriteFile("env/" + Site + "bar.pth", "# comment /not/this\n\nimport sys; sys.path.insert(0, '/nope')\n/srv/bar\nrelative/dir\n");
        temp.WriteFile("env/" + Site + "__editable__.modern-2.0.pth", "import __editable___modern_2_0_finder; __editable___modern_2_0_finder.install()\n");
        temp.WriteFile("env/" + Site + "inside.pth", Path.Combine(env, "extra") + "\n" + env + "\n");

        var found = EditableInstalls.Find(env);

        Assert.Equal(
        [
            new EditableInstall("bar", Site + "bar.pth", "/srv/bar"),
            new EditableInstall("foo", Site + "__editable__.foo-1.0.pth", "/home/me/foo/src"),
        ], found);
    }

    [Theory]
    [InlineData("__editable__.foo-1.0.pth", "foo")]
    [InlineData("__editable__.my_pkg-0.1.0.dev0.pth", "my_pkg")]
    [InlineData("foo.pth", "foo")]
    [InlineData("foo-bar.pth", "foo-bar")]
    [InlineData("easy-install.pth", "easy-install")]
    public void PackageNameFromPth_strips_editable_prefix_and_version(string fileName, string expected) =>
        Assert.Equal(expected, EditableInstalls.PackageNameFromPth(fileName));

    private static void AddDistInfo(TempDirectory temp, string stem, string name, string url)
    {
        temp.WriteFile($"env/{Site}{stem}.dist-info/METADATA", $"Name: {name}\nVersion: 1.0\n");
        temp.WriteFile($"env/{Site}{stem}.dist-info/direct_url.json", $$$"""{"url": "{{{url}}}", "dir_info": {"editable": true}}""");
    }
}
