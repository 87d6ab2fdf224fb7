using System.Text.Json.Nodes;
using Envship.Cli.Tests.Fixtures;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core;
using Envship.Testing;
using YamlDotNet.RepresentationModel;

namespace Envship.Cli.Tests;

/// <summary>The dual track: exports embedded in every archive and written by <c>envship export</c>.</summary>
public sealed class ExportTests(SmallEnvironment env) : IClassFixture<SmallEnvironment>
{
    private static readonly string[] _formats = ["environment.yml", "explicit", "cyclonedx", "spdx"];

    [Fact]
    public void The_exports_follow_the_manifest_as_envship_members()
    {
        var archive = env.Pack("members.tar.zst");
        var listing = ProcessRunner.RunChecked("tar", ["--zstd", "-tf", archive]).StdOut.Split('\n');
        Assert.Equal(
            [
                Manifest.EntryName,
                ".envship/exports/small-env/records.json",
                ".envship/exports/small-env/environment.yml",
                ".envship/exports/small-env/explicit.txt",
                ".envship/exports/small-env/sbom.cdx.json",
                ".envship/exports/small-env/sbom.spdx.json",
            ],
            listing[..6]);
        var manifest = ArchiveReader.ReadManifestOnly(archive);
        Assert.Equal(listing[1..6], manifest.Metadata.Select(m => m.Path));
    }

    [Fact]
    public void Packing_twice_stays_byte_identical_with_the_embedded_exports()
    {
        var first = env.Pack("twice-1.tar.zst");
        var second = env.Pack("twice-2.tar.zst");
        Assert.True(File.ReadAllBytes(first).AsSpan().SequenceEqual(File.ReadAllBytes(second)), "two packs of one prefix differ");
    }

    [Theory]
    [InlineData("environment.yml")]
    [InlineData("explicit")]
    public void Export_from_an_archive_matches_export_from_the_prefix(string format)
    {
        var archive = env.Pack($"same-{format}.tar.zst");
        var fromArchive = CliRunner.RunOk("export", archive, "--format", format).StdOut;
        var fromPrefix = CliRunner.RunOk("export", env.Prefix, "--format", format).StdOut;
        Assert.Equal(fromPrefix, fromArchive);
    }

    [Fact]
    public void From_history_and_no_builds_work_on_an_archive()
    {
        var archive = env.Pack("history.tar.zst");
        var history = CliRunner.RunOk("export", archive, "--format", "environment.yml", "--from-history").StdOut;
        Assert.Equal(CliRunner.RunOk("export", env.Prefix, "--format", "environment.yml", "--from-history").StdOut, history);
        Assert.Contains("  - zlib\n", history, StringComparison.Ordinal);
        Assert.DoesNotContain("h7b6447c_3", history, StringComparison.Ordinal);
        Assert.Contains("  - zlib=1.2.11\n", CliRunner.RunOk("export", archive, "--format", "environment.yml", "--no-builds").StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_format_works_on_an_archive_and_on_a_directory_archive()
    {
        var archive = env.Pack("formats.tar.gz", "--format", "tar.gz");
        var directory = env.Pack("formats-dir", "--format", "dir");
        foreach (var source in new[] { archive, directory })
        {
            foreach (var format in _formats)
            {
                var output = env.Work.Combine($"{Path.GetFileName(source)}.{format}");
                CliRunner.RunOk("export", source, "--format", format, "-o", output);
                Assert.True(new FileInfo(output).Length > 0, $"{format} from {source} is empty");
            }
        }

        var bom = JsonNode.Parse(File.ReadAllText(env.Work.Combine("formats.tar.gz.cyclonedx")))!;
        var manifest = ArchiveReader.ReadManifestOnly(archive);
        Assert.Equal(manifest.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), (string)bom["metadata"]!["timestamp"]!);
        Assert.Equal(
            manifest.Environments[0].CondaPackages.Count,
            bom["components"]!.AsArray().Count(c => ((string)c!["purl"]!).StartsWith("pkg:conda/", StringComparison.Ordinal)));
    }

    [Fact]
    public void Environment_yml_of_the_test_environment_parses_and_lists_its_records()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(CliRunner.RunOk("export", env.Prefix, "--format", "environment.yml").StdOut));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var specs = ((YamlSequenceNode)root["dependencies"]).OfType<YamlScalarNode>().Select(n => n.Value).ToList();
        Assert.Contains("zlib=1.2.11=h7b6447c_3", specs);
        Assert.Equal(Directory.EnumerateFiles(Path.Combine(env.Prefix, "conda-meta"), "*.json").Count(), specs.Count);
    }

    [Fact]
    public void A_deployed_archive_with_exports_verifies_clean()
    {
        var archive = env.Pack("deploy-exports.tar.zst");
        var destination = env.Work.Combine("deployed-with-exports");
        CliRunner.RunOk("deploy", archive, "--prefix", destination, "-q");
        CliRunner.RunOk("verify", destination);
        Assert.False(Directory.Exists(Path.Combine(destination, ".envship", "exports")));
    }

    [Fact]
    public void Inspect_lists_the_largest_packages()
    {
        var archive = env.Pack("inspect-sizes.tar.zst");
        var text = CliRunner.RunOk("inspect", archive).StdOut;
        Assert.Contains("largest packages:", text, StringComparison.Ordinal);
        var manifest = ArchiveReader.ReadManifestOnly(archive);
        Assert.All(manifest.Environments[0].CondaPackages, p => Assert.NotNull(p.Size));
        var largest = manifest.Environments[0].CondaPackages.MaxBy(p => p.Size)!;
        Assert.Contains($"{largest.Name} {largest.Version}", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_formats_and_unknown_environments_are_usage_errors()
    {
        var badFormat = CliRunner.Run("export", env.Prefix, "--format", "pdf");
        Assert.Equal((int)ExitCode.Usage, badFormat.ExitCode);
        Assert.Contains("cyclonedx", badFormat.StdErr, StringComparison.Ordinal);

        var badEnv = CliRunner.Run("export", env.Prefix, "--format", "explicit", "--env", "nope");
        Assert.Equal((int)ExitCode.Usage, badEnv.ExitCode);
        Assert.Contains("small-env", badEnv.StdErr, StringComparison.Ordinal);

        var notAnEnv = CliRunner.Run("export", env.Work.CreateDirectory("empty-dir"), "--format", "explicit");
        Assert.Equal((int)ExitCode.Usage, notAnEnv.ExitCode);
    }

    [Fact]
    public void A_whole_installation_exports_each_environment_by_name()
    {
        using var work = new TempDirectory("envship-whole-export-");
        var root = work.Combine("opt", "miniconda3");
        WholeInstallBuilder.Build(root);
        var archive = work.Combine("miniconda3.tar.zst");
        CliRunner.RunOk("pack", "-p", root, "-o", archive, "-q");

        var manifest = ArchiveReader.ReadManifestOnly(archive);
        Assert.Equal(
            ["base", "a", "b"],
            manifest.Metadata.Where(m => m.Path.EndsWith("/records.json", StringComparison.Ordinal)).Select(m => m.Path.Split('/')[2]));
        Assert.Contains("conda=25.1.1=py311_0", CliRunner.RunOk("export", archive, "--format", "environment.yml").StdOut, StringComparison.Ordinal);
        foreach (var name in new[] { "a", "b" })
        {
            var fromArchive = CliRunner.RunOk("export", archive, "--format", "environment.yml", "--env", name).StdOut;
            Assert.Contains($"name: {name}\n", fromArchive, StringComparison.Ordinal);
            Assert.Contains($"prefix: {root}/envs/{name}\n", fromArchive, StringComparison.Ordinal);
            Assert.DoesNotContain("conda=25.1.1", fromArchive, StringComparison.Ordinal);
            Assert.Equal(CliRunner.RunOk("export", root, "--format", "explicit", "--env", name).StdOut, CliRunner.RunOk("export", archive, "--format", "explicit", "--env", name).StdOut);
        }
    }

    [Fact]
    public void A_tampered_embedded_export_is_refused_as_damage()
    {
        var archive = env.Pack("tampered-export.tar", "--format", "tar");
        var bytes = File.ReadAllBytes(archive);
        var needle = "@EXPLICIT"u8.ToArray();
        var at = bytes.AsSpan().IndexOf(needle);
        Assert.True(at > 0);
        bytes[at + 1] = (byte)'X';
        File.WriteAllBytes(archive, bytes);

        var result = CliRunner.Run("export", archive, "--format", "explicit");
        Assert.Equal((int)ExitCode.DamagedArchive, result.ExitCode);
        Assert.Contains("explicit.txt", result.StdErr, StringComparison.Ordinal);
    }
}
