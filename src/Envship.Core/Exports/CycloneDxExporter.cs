using System.Text.Json.Nodes;
using Envship.Core.Deploy;

namespace Envship.Core.Exports;

/// <summary>A CycloneDX 1.6 JSON bill of materials: one component per conda package and pip distribution.</summary>
public static class CycloneDxExporter
{
    public static byte[] Render(ExportEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var conda = SbomContent.CondaGraph(environment);
        var pip = SbomContent.PipComponents(environment);
        var rootRef = $"envship-environment:{environment.Name}";

        var components = new JsonArray();
        foreach (var (package, purl, _) in conda)
        {
            components.Add((JsonNode)CondaComponent(package, purl));
        }

        foreach (var (distribution, purl) in pip)
        {
            components.Add((JsonNode)new JsonObject
            {
                ["type"] = "library",
                ["bom-ref"] = purl,
                ["name"] = distribution.Name,
                ["version"] = distribution.Version,
                ["purl"] = purl,
            });
        }

        var dependencies = new JsonArray
        {
            (JsonNode)new JsonObject
            {
                ["ref"] = rootRef,
                ["dependsOn"] = Strings(conda.Select(c => c.Purl).Concat(pip.Select(p => p.Purl))),
            },
        };
        foreach (var (_, purl, dependsOn) in conda)
        {
            dependencies.Add((JsonNode)new JsonObject { ["ref"] = purl, ["dependsOn"] = Strings(dependsOn) });
        }

        foreach (var (_, purl) in pip)
        {
            dependencies.Add((JsonNode)new JsonObject { ["ref"] = purl, ["dependsOn"] = new JsonArray() });
        }

        var metadata = new JsonObject
        {
            ["timestamp"] = SbomContent.Timestamp(environment.Created),
            ["tools"] = new JsonObject
            {
                ["components"] = new JsonArray
                {
                    (JsonNode)new JsonObject { ["type"] = "application", ["name"] = "envship", ["version"] = Deployer.EnvshipVersion },
                },
            },
            ["component"] = new JsonObject
            {
                ["type"] = "application",
                ["bom-ref"] = rootRef,
                ["name"] = environment.Name,
                ["description"] = $"conda environment for {environment.Subdir}",
            },
        };
        var content = new JsonObject { ["metadata"] = metadata, ["components"] = components, ["dependencies"] = dependencies };
        var serial = "urn:uuid:" + SbomContent.ContentUuid(content);
        var document = new JsonObject
        {
            ["$schema"] = "http://cyclonedx.org/schema/bom-1.6.schema.json",
            ["bomFormat"] = "CycloneDX",
            ["specVersion"] = "1.6",
            ["serialNumber"] = serial,
            ["version"] = 1,
        };
        foreach (var key in new[] { "metadata", "components", "dependencies" })
        {
            var node = content[key]!;
            content.Remove(key);
            document[key] = node;
        }

        return SbomContent.ToUtf8(document);
    }

    private static JsonObject CondaComponent(ExportPackage package, string purl)
    {
        var component = new JsonObject
        {
            ["type"] = "library",
            ["bom-ref"] = purl,
            ["name"] = package.Name,
            ["version"] = package.Version,
            ["purl"] = purl,
        };
        var hashes = new JsonArray();
        if (SbomContent.IsHex(package.Sha256, 64))
        {
            hashes.Add((JsonNode)new JsonObject { ["alg"] = "SHA-256", ["content"] = package.Sha256!.ToLowerInvariant() });
        }

        if (SbomContent.IsHex(package.Md5, 32))
        {
            hashes.Add((JsonNode)new JsonObject { ["alg"] = "MD5", ["content"] = package.Md5!.ToLowerInvariant() });
        }

        if (hashes.Count > 0)
        {
            component["hashes"] = hashes;
        }

        if (package.License is { Length: > 0 } license)
        {
            // A free-text name is always valid; conda's license fields are often not SPDX ids.
            component["licenses"] = new JsonArray(new JsonObject { ["license"] = new JsonObject { ["name"] = license } });
        }

        if (package.Url is { Length: > 0 } url)
        {
            component["externalReferences"] = new JsonArray(new JsonObject { ["type"] = "distribution", ["url"] = url });
        }

        return component;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);
}
