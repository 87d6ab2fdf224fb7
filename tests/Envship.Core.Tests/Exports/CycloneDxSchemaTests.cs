using System.Text.Json;
using System.Text.Json.Nodes;
using Envship.Core.Exports;
using Envship.Testing;
using Json.Schema;

namespace Envship.Core.Tests.Exports;

public sealed class CycloneDxSchemaTests(RealMetadata fixture) : IClassFixture<RealMetadata>
{
    private static readonly Lazy<JsonSchema> _bomSchema = new(LoadSchema);

    private JsonNode Bom => JsonNode.Parse(CycloneDxExporter.Render(ExportSource.FromPrefix(fixture.Prefix, null)))!;

    [Fact]
    public void The_bom_validates_against_the_official_cyclonedx_1_6_schema()
    {
        using var document = JsonDocument.Parse(Bom.ToJsonString());
        var result = _bomSchema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}"));
        Assert.True(result.IsValid, string.Join('\n', errors));
    }

    [Fact]
    public void The_schema_rejects_a_broken_bom()
    {
        var bom = Bom;
        bom["components"]![0]!["hashes"]![0]!["content"] = "not-a-hash";
        using var document = JsonDocument.Parse(bom.ToJsonString());
        Assert.False(_bomSchema.Value.Evaluate(document.RootElement).IsValid);
    }

    [Fact]
    public void Every_purl_round_trips_through_a_purl_parser()
    {
        var components = Bom["components"]!.AsArray();
        Assert.Equal(17, components.Count);
        foreach (var component in components)
        {
            var text = (string)component!["purl"]!;
            var purl = PurlParser.Parse(text);
            Assert.Equal(text, purl.ToCanonical());
            Assert.Equal((string)component["bom-ref"]!, text);
            Assert.Equal((string)component["name"]!, purl.Type == "pypi" ? purl.Name : purl.Name);
            Assert.Equal((string)component["version"]!, purl.Version);
        }

        var python = PurlParser.Parse(components.Select(c => (string)c!["purl"]!).Single(p => p.StartsWith("pkg:conda/python@", StringComparison.Ordinal)));
        Assert.Equal("hfd29fff_1_cp313t", python.Qualifiers["build"]);
        Assert.Equal("conda-forge", python.Qualifiers["channel"]);
        Assert.Equal("osx-arm64", python.Qualifiers["subdir"]);
        Assert.Equal("conda", python.Qualifiers["type"]);
        var libffi = PurlParser.Parse(components.Select(c => (string)c!["purl"]!).Single(p => p.StartsWith("pkg:conda/libffi@", StringComparison.Ordinal)));
        Assert.Equal("tar.bz2", libffi.Qualifiers["type"]);
        Assert.Contains(components, c => (string)c!["purl"]! == "pkg:pypi/imagesize@1.4.1");
    }

    [Fact]
    public void Components_carry_hashes_licenses_and_a_dependency_graph()
    {
        var bom = Bom;
        var python = bom["components"]!.AsArray().Single(c => (string)c!["name"]! == "python")!;
        Assert.Equal(["SHA-256", "MD5"], python["hashes"]!.AsArray().Select(h => (string)h!["alg"]!));
        Assert.Equal("Python-2.0", (string)python["licenses"]![0]!["license"]!["name"]!);
        var edges = bom["dependencies"]!.AsArray().Single(d => (string)d!["ref"]! == (string)python["purl"]!)!["dependsOn"]!.AsArray();
        Assert.Contains(edges, e => ((string)e!).StartsWith("pkg:conda/libzlib@", StringComparison.Ordinal));
        Assert.DoesNotContain(edges, e => ((string)e!).Contains("__osx", StringComparison.Ordinal));
        Assert.Matches("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", (string)bom["serialNumber"]!);
    }

    private static JsonSchema LoadSchema()
    {
        var directory = Path.Combine(FixturePaths.Root, "schemas");
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        foreach (var name in new[] { "spdx.schema.json", "jsf-0.82.schema.json" })
        {
            var schema = JsonSchema.FromFile(Path.Combine(directory, name), options);
            options.SchemaRegistry.Register(schema);
        }

        return JsonSchema.FromFile(Path.Combine(directory, "bom-1.6.schema.json"), options);
    }
}
