using System.Text;
using System.Text.Json.Nodes;
using Envship.Core.Exports;
using YamlDotNet.RepresentationModel;

namespace Envship.Core.Tests.Exports;

public sealed class RealMetadataExportTests(RealMetadata fixture) : IClassFixture<RealMetadata>
{
    private ExportEnvironment Model => ExportSource.FromPrefix(fixture.Prefix, null);

    private string Render(ExportFormat format, ExportOptions? options = null) =>
        Encoding.UTF8.GetString(Exporters.Render(format, Model, options ?? new ExportOptions()));

    [Fact]
    public void The_fixture_has_sixteen_records()
    {
        Assert.Equal(16, fixture.Records.Count);
    }

    [Fact]
    public void Environment_yml_lists_exactly_the_records_and_the_pip_distribution_and_parses_as_yaml()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(Render(ExportFormat.EnvironmentYml)));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;

        Assert.Equal(RealMetadata.FixtureName, ((YamlScalarNode)root["name"]).Value);
        Assert.Equal(["conda-forge"], ((YamlSequenceNode)root["channels"]).Select(n => ((YamlScalarNode)n).Value));
        Assert.Equal(fixture.Prefix, ((YamlScalarNode)root["prefix"]).Value);

        var dependencies = (YamlSequenceNode)root["dependencies"];
        var specs = dependencies.OfType<YamlScalarNode>().Select(n => n.Value!).ToList();
        var expected = fixture.Records
            .Select(r => $"{RealMetadata.Field(r, "name")}={RealMetadata.Field(r, "version")}={RealMetadata.Field(r, "build")}")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(expected, specs);

        var pip = dependencies.OfType<YamlMappingNode>().Single();
        Assert.Equal(["imagesize==1.4.1"], ((YamlSequenceNode)pip["pip"]).Select(n => ((YamlScalarNode)n).Value));
    }

    [Fact]
    public void No_builds_drops_the_build_strings()
    {
        var text = Render(ExportFormat.EnvironmentYml, new ExportOptions(NoBuilds: true));
        Assert.Contains("  - python=3.13.2\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hfd29fff", text, StringComparison.Ordinal);
    }

    [Fact]
    public void From_history_lists_the_requested_specs()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(Render(ExportFormat.EnvironmentYml, new ExportOptions(FromHistory: true))));
        var dependencies = (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["dependencies"];
        Assert.Equal(["python_abi[build=*_cp313t]", "python=3.13", "pip"], dependencies.Select(n => ((YamlScalarNode)n).Value));
    }

    [Fact]
    public void Explicit_reproduces_every_url_and_md5_once_in_dependency_order()
    {
        var lines = Render(ExportFormat.Explicit).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("# platform: osx-arm64", lines);
        var explicitAt = Array.IndexOf(lines, "@EXPLICIT");
        Assert.True(explicitAt > 0);
        var urls = lines[(explicitAt + 1)..];
        var expected = fixture.Records.Select(r => $"{RealMetadata.Field(r, "url")}#{RealMetadata.Field(r, "md5")}").Order(StringComparer.Ordinal);
        Assert.Equal(expected, urls.Order(StringComparer.Ordinal));

        // python depends on libzlib, openssl on ca-certificates, pip on python.
        int At(string name) => Array.FindIndex(urls, u => u.Contains($"/{name}-", StringComparison.Ordinal));
        Assert.True(At("libzlib") < At("python"));
        Assert.True(At("ca-certificates") < At("openssl"));
        Assert.True(At("python") < At("pip"));
    }

    [Fact]
    public void Spdx_lists_the_same_purls_as_cyclonedx()
    {
        var cdx = JsonNode.Parse(Render(ExportFormat.CycloneDx))!;
        var spdx = JsonNode.Parse(Render(ExportFormat.Spdx))!;
        var cdxPurls = cdx["components"]!.AsArray().Select(c => (string)c!["purl"]!).Order(StringComparer.Ordinal);
        var spdxPurls = spdx["packages"]!.AsArray()
            .Select(p => (string)p!["externalRefs"]![0]!["referenceLocator"]!)
            .Order(StringComparer.Ordinal);
        Assert.Equal(cdxPurls, spdxPurls);
        Assert.Equal("SPDX-2.3", (string)spdx["spdxVersion"]!);
        Assert.Equal(17, spdx["packages"]!.AsArray().Count);
    }

    [Fact]
    public void Exports_are_reproducible()
    {
        Assert.Equal(Render(ExportFormat.CycloneDx), Render(ExportFormat.CycloneDx));
        Assert.Equal(Render(ExportFormat.Spdx), Render(ExportFormat.Spdx));
    }
}
