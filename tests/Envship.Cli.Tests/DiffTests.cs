using System.Text.Json.Nodes;
using Envship.Cli.Tests.Fixtures;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>Acceptance 6: diff between two packed versions (one package upgraded, one pip distribution added, one file changed).</summary>
public sealed class DiffTests : IClassFixture<SmallEnvironment>
{
    private const string OldRecord = "conda-meta/zlib-1.2.11-h7b6447c_3.json";
    private const string NewRecord = "conda-meta/zlib-1.2.13-h5eee18b_1.json";
    private const string DistInfo = "lib/python3.12/site-packages/extra_tool-2.0.dist-info";

    private readonly SmallEnvironment _env;
    private readonly string _prefix;
    private readonly string _before;
    private readonly string _after;

    public DiffTests(SmallEnvironment env)
    {
        _env = env;
        _prefix = env.Build(env.Work.Combine("src", "diff-env-" + Guid.NewGuid().ToString("N")[..8])).Prefix;
        _before = Pack("before");
        Upgrade();
        _after = Pack("after");
    }

    [Fact]
    public void Two_archives_differ_by_exactly_the_upgrade_the_pip_distribution_and_the_file()
    {
        AssertExactChanges(Json(_before, _after));
    }

    [Fact]
    public void An_archive_and_a_prefix_compare_the_same_way()
    {
        AssertExactChanges(Json(_before, _prefix));
        var same = Json(_after, _prefix);
        Assert.Empty(same["conda_packages"]!.AsArray());
        Assert.Empty(same["pip_distributions"]!.AsArray());
        Assert.Empty(same["files"]!.AsArray());
    }

    [Fact]
    public void The_text_report_names_each_change()
    {
        var text = CliRunner.RunOk("diff", _before, _after).StdOut;
        Assert.Contains("~ zlib 1.2.11 (h7b6447c_3) -> 1.2.13 (h5eee18b_1)", text, StringComparison.Ordinal);
        Assert.Contains("+ extra_tool 2.0", text, StringComparison.Ordinal);
        Assert.Contains("~ etc/example.conf", text, StringComparison.Ordinal);
        Assert.Contains("no differences.", CliRunner.RunOk("diff", _after, _after).StdOut, StringComparison.Ordinal);
    }

    private static void AssertExactChanges(JsonNode report)
    {
        var conda = report["conda_packages"]!.AsArray().Single()!;
        Assert.Equal("zlib", (string)conda["name"]!);
        Assert.Equal("Changed", (string)conda["kind"]!);
        Assert.Equal(("1.2.11", "h7b6447c_3"), ((string)conda["old_version"]!, (string)conda["old_build"]!));
        Assert.Equal(("1.2.13", "h5eee18b_1"), ((string)conda["new_version"]!, (string)conda["new_build"]!));

        var pip = report["pip_distributions"]!.AsArray().Single()!;
        Assert.Equal(("extra_tool", "Added", "2.0"), ((string)pip["name"]!, (string)pip["kind"]!, (string)pip["new_version"]!));

        var files = report["files"]!.AsArray().Select(f => ((string)f!["path"]!, (string)f["kind"]!)).ToList();
        Assert.Equal(
            [
                (OldRecord, "Removed"),
                (NewRecord, "Added"),
                ("etc/example.conf", "Changed"),
                ($"{DistInfo}/INSTALLER", "Added"),
                ($"{DistInfo}/METADATA", "Added"),
                ($"{DistInfo}/RECORD", "Added"),
            ],
            files);

        var totals = report["file_totals"]!;
        Assert.Equal(4, (int)totals["added"]!);
        Assert.Equal(1, (int)totals["removed"]!);
        Assert.Equal(1, (int)totals["changed"]!);
        Assert.Equal((long)totals["changed_bytes_before"]! + "# upgraded\n".Length, (long)totals["changed_bytes_after"]!);
        Assert.True((long)totals["added_bytes"]! > (long)totals["removed_bytes"]!);
    }

    private static JsonNode Json(string a, string b) => JsonNode.Parse(CliRunner.RunOk("diff", a, b, "--json").StdOut)!;

    private string Pack(string name)
    {
        var archive = _env.Work.Combine($"{Path.GetFileName(_prefix)}-{name}.tar.zst");
        CliRunner.RunOk("pack", "-p", _prefix, "-o", archive, "-q");
        return archive;
    }

    // What 'conda update zlib' and 'pip install extra-tool' leave behind, plus one edited file.
    private void Upgrade()
    {
        var record = JsonNode.Parse(File.ReadAllText(Path.Combine(_prefix, OldRecord)))!;
        record["version"] = "1.2.13";
        record["build"] = "h5eee18b_1";
        File.WriteAllText(Path.Combine(_prefix, NewRecord), record.ToJsonString());
        File.Delete(Path.Combine(_prefix, OldRecord));

        var distInfo = Directory.CreateDirectory(Path.Combine(_prefix, DistInfo)).FullName;
        File.WriteAllText(Path.Combine(distInfo, "METADATA"), "Metadata-Version: 2.1\nName: extra_tool\nVersion: 2.0\n\n");
        File.WriteAllText(Path.Combine(distInfo, "INSTALLER"), "pip\n");
        File.WriteAllText(Path.Combine(distInfo, "RECORD"), "extra_tool-2.0.dist-info/METADATA,,\n");

        File.AppendAllText(Path.Combine(_prefix, CondaPrefixBuilder.ExampleConf), "# upgraded\n");
    }
}
