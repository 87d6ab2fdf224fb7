using Envship.Core.Exports;

namespace Envship.Core.Tests.Exports;

public sealed class PackageUrlTests
{
    private static ExportPackage Package(string version = "1.0", string build = "py_0", string channel = "conda-forge", string? file = "x-1.0-py_0.conda") => new()
    {
        Name = "x", Version = version, Build = build, Channel = channel, Subdir = "noarch", FileName = file,
    };

    [Fact]
    public void Qualifiers_are_sorted_and_empty_ones_left_out()
    {
        Assert.Equal("pkg:conda/x@1.0?build=py_0&channel=conda-forge&subdir=noarch&type=conda", PackageUrl.Conda(Package()));
        Assert.Equal("pkg:conda/x@1.0?build=py_0&subdir=noarch&type=tar.bz2", PackageUrl.Conda(Package(channel: "", file: "x-1.0-py_0.tar.bz2")));
        Assert.Equal("pkg:conda/x@1.0?build=py_0&subdir=noarch", PackageUrl.Conda(Package(channel: "", file: null)));
    }

    [Fact]
    public void Reserved_characters_are_percent_encoded_and_round_trip()
    {
        var purl = PackageUrl.Conda(Package(version: "1.0+local!1", build: "h 1", channel: "https://example.com/my channel"));
        Assert.Equal("pkg:conda/x@1.0%2Blocal%211?build=h%201&channel=https:%2F%2Fexample.com%2Fmy%20channel&subdir=noarch&type=conda", purl);
        var parsed = PurlParser.Parse(purl);
        Assert.Equal("1.0+local!1", parsed.Version);
        Assert.Equal("https://example.com/my channel", parsed.Qualifiers["channel"]);
        Assert.Equal(purl, parsed.ToCanonical());
    }

    [Fact]
    public void Pypi_names_are_normalized()
    {
        Assert.Equal("pkg:pypi/zope-interface@6.0", PackageUrl.Pypi(new ExportPipDistribution("Zope.Interface", "6.0", "pip")));
    }

    [Theory]
    [InlineData("pkg:conda/x@1?b=1&a=2")]
    [InlineData("pkg:conda/x@1?build=a b")]
    [InlineData("pkg:conda/x@1%2")]
    [InlineData("pkg:Conda/x@1")]
    [InlineData("pkg:/x")]
    public void The_test_parser_is_strict(string purl)
    {
        Assert.Throws<FormatException>(() => PurlParser.Parse(purl));
    }
}
