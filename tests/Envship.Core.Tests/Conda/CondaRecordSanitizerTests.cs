using System.Text;
using System.Text.Json.Nodes;
using Envship.Core.Conda;

namespace Envship.Core.Tests.Conda;

public sealed class CondaRecordSanitizerTests
{
    public static TheoryData<string> RealRecordFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(RealEnvironment.MetaDir, "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RealRecordFiles))]
    public void Blanks_the_three_cache_paths_and_changes_nothing_else(string fileName)
    {
        var original = File.ReadAllBytes(RealEnvironment.RecordPath(fileName));

        var sanitized = CondaRecordSanitizer.BlankCachePaths(original, _ => false);

        Assert.NotNull(sanitized);
        var record = CondaPackageRecord.Parse(sanitized);
        Assert.Equal(string.Empty, record.ExtractedPackageDir);
        Assert.Equal(string.Empty, record.PackageTarballFullPath);
        Assert.Equal(string.Empty, record.LinkSource);
        Assert.Equal(1, record.LinkType);

        // Byte-for-byte what conda wrote (key order, two-space indent, no trailing newline), except three lines.
        var before = Encoding.UTF8.GetString(original).Split('\n');
        var after = Encoding.UTF8.GetString(sanitized).Split('\n');
        Assert.Equal(before.Length, after.Length);
        var changed = before.Zip(after).Where(pair => pair.First != pair.Second).ToList();
        Assert.Equal(3, changed.Count);
        Assert.Contains(changed, c => c.Second == "  \"extracted_package_dir\": \"\",");
        Assert.Contains(changed, c => c.Second == "  \"package_tarball_full_path\": \"\",");
        Assert.Contains(changed, c => c.Second == "    \"source\": \"\",");
        Assert.Equal(original[^1], sanitized[^1]);
    }

    [Fact]
    public void Keeps_values_that_keepPath_accepts()
    {
        var original = File.ReadAllBytes(RealEnvironment.RecordPath(RealEnvironment.PythonRecord));
        var seen = new List<string>();

        var result = CondaRecordSanitizer.BlankCachePaths(original, path =>
        {
            seen.Add(path);
            return path.EndsWith(".conda", StringComparison.Ordinal);
        });

        Assert.Equal(3, seen.Count);
        var record = CondaPackageRecord.Parse(result);
        Assert.Equal(string.Empty, record.ExtractedPackageDir);
        Assert.Equal(string.Empty, record.LinkSource);
        Assert.EndsWith("python-3.13.2-hfd29fff_1_cp313t.conda", record.PackageTarballFullPath, StringComparison.Ordinal);
    }

    [Fact]
    public void Returns_null_when_everything_is_kept()
    {
        var original = File.ReadAllBytes(RealEnvironment.RecordPath(RealEnvironment.PythonRecord));

        Assert.Null(CondaRecordSanitizer.BlankCachePaths(original, _ => true));
    }

    [Fact]
    public void Returns_null_when_already_sanitized_or_fields_missing()
    {
        var original = File.ReadAllBytes(RealEnvironment.RecordPath("bzip2-1.0.8-h99b78c6_7.json"));
        var once = CondaRecordSanitizer.BlankCachePaths(original, _ => false)!;

        Assert.Null(CondaRecordSanitizer.BlankCachePaths(once, _ => false));
        Assert.Null(CondaRecordSanitizer.BlankCachePaths("""{"name": "x", "link": {"type": 1}}"""u8, _ => false));
        Assert.Null(CondaRecordSanitizer.BlankCachePaths("""{"name": "x", "extracted_package_dir": null}"""u8, _ => false));
    }

    [Fact]
    public void Keeps_key_order_and_a_trailing_newline()
    {
        var json = "{\n  \"z\": 1,\n  \"extracted_package_dir\": \"/pkgs/x\",\n  \"a\": [\n    \"b <2\"\n  ],\n  \"e\": []\n}\n"u8;

        var result = CondaRecordSanitizer.BlankCachePaths(json, _ => false);

        Assert.Equal(
            "{\n  \"z\": 1,\n  \"extracted_package_dir\": \"\",\n  \"a\": [\n    \"b <2\"\n  ],\n  \"e\": []\n}\n",
            Encoding.UTF8.GetString(result!));
        Assert.Equal(["z", "extracted_package_dir", "a", "e"], JsonNode.Parse(result)!.AsObject().Select(p => p.Key));
    }
}
