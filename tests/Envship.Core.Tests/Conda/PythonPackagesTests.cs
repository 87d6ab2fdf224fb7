using Envship.Core.Conda;
using Envship.Testing;

namespace Envship.Core.Tests.Conda;

public sealed class PythonPackagesTests
{
    [Fact]
    public void Finds_the_two_real_dist_infos()
    {
        var dists = PythonPackages.FindDistributions(RealEnvironment.Prefix);

        Assert.Equal(2, dists.Count);
        Assert.Equal(("imagesize", "1.4.1"), (dists[0].Name, dists[0].Version));
        Assert.Equal(("pip", "25.0.1"), (dists[1].Name, dists[1].Version));
        Assert.All(dists, d =>
        {
            Assert.Null(d.Installer);
            Assert.False(d.IsEditable);
            Assert.Null(d.EditableLocation);
            Assert.True(Directory.Exists(d.DistInfoPath));
            Assert.Contains(Path.Combine("lib", "python3.13t", "site-packages"), d.DistInfoPath, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Reads_installer_and_pep610_editable_and_sorts_by_normalized_name()
    {
        using var temp = new TempDirectory();
        var site = "lib/python3.12/site-packages/";
        temp.WriteFile(site + "Zope.Interface-6.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: Zope.Interface\nVersion: 6.0\n");
        temp.WriteFile(site + "Zope.Interface-6.0.dist-info/INSTALLER", "conda\n");
        temp.WriteFile(site + "my_pkg-0.1.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: my_pkg\nVersion: 0.1\nSummary: s\n\nName: not-a-header\nVersion: 9\n");
        temp.WriteFile(site + "my_pkg-0.1.dist-info/INSTALLER", "  pip  \nsecond line\n");
        temp.WriteFile(site + "my_pkg-0.1.dist-info/direct_url.json",
            """{"url": "file:///home/me/src/my%20pkg", "dir_info": {"editable": true}}""");
        temp.WriteFile(site + "local-2.0.dist-info/METADATA", "Name: local\nVersion: 2.0\n");
        temp.WriteFile(site + "local-2.0.dist-info/direct_url.json", """{"url": "file:///tmp/local", "dir_info": {}}""");
        temp.WriteFile(site + "nometa-3.1.dist-info/RECORD", "");
        temp.WriteFile(site + "broken-1.0.dist-info/METADATA", "Name: broken\nVersion: 1.0\n");
        temp.WriteFile(site + "broken-1.0.dist-info/direct_url.json", "{not json");

        var dists = PythonPackages.FindDistributions(temp.Path);

        Assert.Equal(["broken", "local", "my_pkg", "nometa", "Zope.Interface"], dists.Select(d => d.Name));
        var editable = dists.Single(d => d.Name == "my_pkg");
        Assert.Equal("0.1", editable.Version);
        Assert.Equal("pip", editable.Installer);
        Assert.True(editable.IsEditable);
        Assert.Equal("/home/me/src/my pkg", editable.EditableLocation);
        Assert.Equal("conda", dists.Single(d => d.Name == "Zope.Interface").Installer);
        Assert.False(dists.Single(d => d.Name == "local").IsEditable);
        Assert.Null(dists.Single(d => d.Name == "local").EditableLocation);
        Assert.False(dists.Single(d => d.Name == "broken").IsEditable);
        Assert.Equal("3.1", dists.Single(d => d.Name == "nometa").Version);
    }

    [Fact]
    public void Finds_nothing_without_site_packages()
    {
        using var temp = new TempDirectory();

        Assert.Empty(PythonPackages.FindDistributions(temp.Path));
    }

    [Theory]
    [InlineData("Zope.Interface", "zope-interface")]
    [InlineData("my__pkg", "my-pkg")]
    [InlineData("A-_.b", "a-b")]
    [InlineData("pip", "pip")]
    public void NormalizeName_follows_pep503(string name, string expected) =>
        Assert.Equal(expected, PythonPackages.NormalizeName(name));

    [Fact]
    public void DetectPythonVersion_prefers_the_python_record()
    {
        var records = CondaMeta.ReadRecords(RealEnvironment.Prefix);

        Assert.Equal("3.13.2", PythonPackages.DetectPythonVersion(RealEnvironment.Prefix, records));
    }

    [Fact]
    public void DetectPythonVersion_falls_back_to_lib_python_directory()
    {
        Assert.Equal("3.13", PythonPackages.DetectPythonVersion(RealEnvironment.Prefix, []));

        using var temp = new TempDirectory();
        temp.CreateDirectory("lib/python3.9");
        temp.CreateDirectory("lib/python3.11");
        temp.CreateDirectory("lib/pythonX");
        Assert.Equal("3.11", PythonPackages.DetectPythonVersion(temp.Path, []));
    }

    [Fact]
    public void DetectPythonVersion_returns_null_without_python()
    {
        using var temp = new TempDirectory();
        temp.CreateDirectory("lib/pkgconfig");
        var zlib = CondaPackageRecord.Parse("""{"name": "zlib", "version": "1.3"}"""u8);

        Assert.Null(PythonPackages.DetectPythonVersion(temp.Path, [zlib]));
    }
}
