using System.Text;
using System.Text.Json;
using Envship.Core.Conda;
using Envship.Testing;

namespace Envship.Core.Tests.Conda;

public sealed class CondaPackageRecordTests
{
    [Fact]
    public void ReadRecords_parses_every_real_record_sorted_by_name()
    {
        var records = CondaMeta.ReadRecords(RealEnvironment.Prefix);

        // The fixture's conda-meta/ holds 17 files: 16 package records and the history file.
        Assert.Equal(17, Directory.GetFiles(RealEnvironment.MetaDir).Length);
        Assert.Equal(16, records.Count);
        Assert.Equal(records.Select(r => r.Name).Order(StringComparer.Ordinal), records.Select(r => r.Name));
        Assert.All(records, r =>
        {
            Assert.NotEmpty(r.Name);
            Assert.NotEmpty(r.Version);
            Assert.NotEmpty(r.Build);
            Assert.Equal(r.Files.Count, r.PathsData.Count);
            Assert.Equal("conda-forge", r.ChannelName);
        });
    }

    [Fact]
    public void Python_record_has_all_fields()
    {
        var python = CondaPackageRecord.Parse(File.ReadAllBytes(RealEnvironment.RecordPath(RealEnvironment.PythonRecord)));

        Assert.Equal("python", python.Name);
        Assert.Equal("3.13.2", python.Version);
        Assert.Contains("cp313t", python.Build, StringComparison.Ordinal);
        Assert.Equal("hfd29fff_1_cp313t", python.Build);
        Assert.Equal(1, python.BuildNumber);
        Assert.Equal("https://conda.anaconda.org/conda-forge/osx-arm64", python.Channel);
        Assert.Equal("conda-forge", python.ChannelName);
        Assert.Equal("osx-arm64", python.Subdir);
        Assert.Equal("https://conda.anaconda.org/conda-forge/osx-arm64/python-3.13.2-hfd29fff_1_cp313t.conda", python.Url);
        Assert.Equal("9d0ae3f3e43c192a992827c0abffe284", python.Md5);
        Assert.Equal("a64466b8f65b77604c3c87092c65d9e51e7db44b11eaa6c469894f0b88b1af5a", python.Sha256);
        Assert.Equal(14737126, python.Size);
        Assert.Equal(14, python.Depends.Count);
        Assert.Contains("python_abi 3.13.* *_cp313t", python.Depends);
        Assert.Equal("Python-2.0", python.License);
        Assert.Equal(1739801201634, python.Timestamp);
        Assert.Equal("python-3.13.2-hfd29fff_1_cp313t.conda", python.Fn);
        Assert.Equal("python=3.13", python.RequestedSpec);
        Assert.Equal(1875, python.Files.Count);
        Assert.Contains("bin/python3.13t", python.Files);
        Assert.EndsWith("/pkgs/python-3.13.2-hfd29fff_1_cp313t", python.ExtractedPackageDir, StringComparison.Ordinal);
        Assert.EndsWith("/pkgs/python-3.13.2-hfd29fff_1_cp313t.conda", python.PackageTarballFullPath, StringComparison.Ordinal);
        Assert.Equal(python.ExtractedPackageDir, python.LinkSource);
        Assert.Equal(1, python.LinkType);
    }

    [Fact]
    public void Paths_data_has_a_255_char_binary_placeholder()
    {
        var python = CondaMeta.ReadRecord(RealEnvironment.RecordPath(RealEnvironment.PythonRecord));

        var entry = Assert.Single(python.PathsData, p => p.Path == "bin/python3.13");
        Assert.Equal("hardlink", entry.PathType);
        Assert.Equal("binary", entry.FileMode);
        Assert.Equal(255, entry.PrefixPlaceholder!.Length);
        Assert.StartsWith("/Users/runner/miniforge3/conda-bld/python-split_", entry.PrefixPlaceholder, StringComparison.Ordinal);
        Assert.Equal("765413e1e7ba11ad227871e82c21aef1644468bfd209252a07298183faecd015", entry.Sha256);
        Assert.Equal("6564fe87439cebbe28830cf7949e4a3f708ea33f8a4848dbd91c90de27ca8172", entry.Sha256InPrefix);
        Assert.Equal(6426736, entry.SizeInBytes);

        var softlink = Assert.Single(python.PathsData, p => p.Path == "bin/python");
        Assert.Equal("softlink", softlink.PathType);
        Assert.Null(softlink.PrefixPlaceholder);
        Assert.Null(softlink.FileMode);
        Assert.Null(softlink.Sha256InPrefix);
    }

    [Fact]
    public void PathsWithPlaceholders_maps_every_placeholder_file()
    {
        var records = CondaMeta.ReadRecords(RealEnvironment.Prefix);

        var map = CondaMeta.PathsWithPlaceholders(records);

        Assert.Equal(199, map.Count);
        Assert.All(map.Values, p => Assert.Equal(255, p.PrefixPlaceholder.Length));
        Assert.Equal("binary", map["bin/python3.13"].FileMode);
        Assert.Equal("text", map["bin/idle3.13"].FileMode);
        Assert.False(map.ContainsKey("bin/python"));
        Assert.Equal(160, map.Values.Count(p => p.FileMode == "binary"));
        Assert.Equal(39, map.Values.Count(p => p.FileMode == "text"));
    }

    [Fact]
    public void PathsWithPlaceholders_defaults_missing_file_mode_to_text()
    {
        var record = CondaPackageRecord.Parse("""
            {"name": "x", "paths_data": {"paths": [{"_path": "a", "prefix_placeholder": "/opt/anaconda1anaconda2anaconda3"}]}}
            """u8);

        var map = CondaMeta.PathsWithPlaceholders([record]);

        Assert.Equal(new CondaPlaceholder("/opt/anaconda1anaconda2anaconda3", "text"), map["a"]);
    }

    [Fact]
    public void Parse_tolerates_missing_fields()
    {
        var record = CondaPackageRecord.Parse("{}"u8);

        Assert.Equal(string.Empty, record.Name);
        Assert.Equal(string.Empty, record.Version);
        Assert.Equal(string.Empty, record.Build);
        Assert.Null(record.BuildNumber);
        Assert.Null(record.Channel);
        Assert.Null(record.ChannelName);
        Assert.Empty(record.Depends);
        Assert.Empty(record.Files);
        Assert.Empty(record.PathsData);
        Assert.Null(record.LinkSource);
        Assert.Null(record.LinkType);
        Assert.Null(record.Timestamp);
    }

    [Fact]
    public void Parse_reads_numbers_written_as_strings_or_floats_and_skips_odd_shapes()
    {
        var record = CondaPackageRecord.Parse("""
            {"name": "n", "build_number": "3", "timestamp": 1600000000.5, "size": {"odd": 1},
             "link": {"source": "/pkgs/n", "type": "1"}, "license": null, "extra": [1, 2]}
            """u8);

        Assert.Equal(3, record.BuildNumber);
        Assert.Equal(1600000000, record.Timestamp);
        Assert.Null(record.Size);
        Assert.Equal(1, record.LinkType);
        Assert.Null(record.License);
    }

    [Fact]
    public void Parse_accepts_a_utf8_bom()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("""{"name": "bom"}""")).ToArray();

        Assert.Equal("bom", CondaPackageRecord.Parse(bytes).Name);
    }

    [Fact]
    public void Parse_throws_JsonException_on_malformed_json()
    {
        Assert.ThrowsAny<JsonException>(() => CondaPackageRecord.Parse("{\"name\": "u8));
        Assert.ThrowsAny<JsonException>(() => CondaPackageRecord.Parse("null"u8));
    }

    [Fact]
    public void ReadRecords_names_the_corrupt_file()
    {
        using var temp = new TempDirectory();
        temp.WriteFile("conda-meta/good-1.0-0.json", """{"name": "good", "version": "1.0", "build": "0"}""");
        var bad = temp.WriteFile("conda-meta/bad-1.0-0.json", """{"name": "bad", "version": """);

        var e = Assert.Throws<CondaMetaException>(() => CondaMeta.ReadRecords(temp.Path));

        Assert.Contains(bad, e.Message, StringComparison.Ordinal);
        Assert.Equal(bad, e.FilePath);
        Assert.IsType<JsonException>(e.InnerException, exactMatch: false);
    }

    [Fact]
    public void ReadRecords_ignores_history_and_requires_conda_meta()
    {
        using var temp = new TempDirectory();
        Assert.Throws<DirectoryNotFoundException>(() => CondaMeta.ReadRecords(temp.Path));

        temp.WriteFile("conda-meta/history", "==> 2025-01-01 00:00:00 <==\n");
        temp.WriteFile("conda-meta/zlib-1.3-0.json", """{"name": "zlib"}""");
        temp.WriteFile("conda-meta/abc-1.0-0.json", """{"name": "abc"}""");

        Assert.Equal(["abc", "zlib"], CondaMeta.ReadRecords(temp.Path).Select(r => r.Name));
    }

    [Theory]
    [InlineData("https://conda.anaconda.org/conda-forge/osx-arm64", "conda-forge")]
    [InlineData("https://conda.anaconda.org/conda-forge/noarch", "conda-forge")]
    [InlineData("https://conda.anaconda.org/conda-forge", "conda-forge")]
    [InlineData("https://repo.anaconda.com/pkgs/main/linux-64", "pkgs/main")]
    [InlineData("https://conda.anaconda.org/t/tk-123/private/linux-64", "private")]
    [InlineData("https://conda.anaconda.org/conda-forge/label/dev/win-64", "conda-forge/label/dev")]
    [InlineData("conda-forge", "conda-forge")]
    [InlineData("pkgs/main", "pkgs/main")]
    [InlineData("", "")]
    public void ChannelName_strips_host_and_subdir(string channel, string expected)
    {
        Assert.Equal(expected, CondaChannel.ShortName(channel));
        Assert.Equal(expected, (CondaPackageRecord.Parse("{}"u8) with { Channel = channel }).ChannelName);
    }
}
