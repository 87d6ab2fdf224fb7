using System.Text;
using System.Text.Json.Nodes;
using Envship.Core.Deploy;

namespace Envship.Core.Exports;

/// <summary>An SPDX 2.3 JSON document with the same packages and purls as the CycloneDX export.</summary>
public static class SpdxExporter
{
    public static byte[] Render(ExportEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var conda = SbomContent.CondaGraph(environment);
        var pip = SbomContent.PipComponents(environment);
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var packages = new JsonArray();
        var relationships = new JsonArray();
        foreach (var (package, purl, _) in conda)
        {
            var id = Id(ids, "conda", package.Name, purl);
            packages.Add((JsonNode)Package(id, package.Name, package.Version, package.Url, purl, package.Sha256, package.Md5, package.License));
        }

        foreach (var (distribution, purl) in pip)
        {
            var id = Id(ids, "pypi", distribution.Name, purl);
            packages.Add((JsonNode)Package(id, distribution.Name, distribution.Version, null, purl, null, null, null));
        }

        foreach (var id in ids.Values)
        {
            relationships.Add((JsonNode)Relationship("SPDXRef-DOCUMENT", "DESCRIBES", id));
        }

        foreach (var (_, purl, dependsOn) in conda)
        {
            foreach (var dependency in dependsOn)
            {
                relationships.Add((JsonNode)Relationship(ids[purl], "DEPENDS_ON", ids[dependency]));
            }
        }

        var content = new JsonObject { ["packages"] = packages, ["relationships"] = relationships };
        var uuid = SbomContent.ContentUuid(content);
        var document = new JsonObject
        {
            ["spdxVersion"] = "SPDX-2.3",
            ["dataLicense"] = "CC0-1.0",
            ["SPDXID"] = "SPDXRef-DOCUMENT",
            ["name"] = environment.Name,
            ["documentNamespace"] = $"https://spdx.org/spdxdocs/envship-{Uri.EscapeDataString(environment.Name)}-{uuid}",
            ["creationInfo"] = new JsonObject
            {
                ["created"] = SbomContent.Timestamp(environment.Created),
                ["creators"] = new JsonArray(JsonValue.Create($"Tool: envship-{Deployer.EnvshipVersion}")),
            },
        };
        content.Remove("packages");
        content.Remove("relationships");
        document["packages"] = packages;
        document["relationships"] = relationships;
        return SbomContent.ToUtf8(document);
    }

    private static JsonObject Package(string id, string name, string version, string? url, string purl, string? sha256, string? md5, string? license)
    {
        var package = new JsonObject
        {
            ["SPDXID"] = id,
            ["name"] = name,
            ["versionInfo"] = version,
            ["downloadLocation"] = url is { Length: > 0 } ? url : "NOASSERTION",
            ["filesAnalyzed"] = false,
        };
        var checksums = new JsonArray();
        if (SbomContent.IsHex(sha256, 64))
        {
            checksums.Add((JsonNode)new JsonObject { ["algorithm"] = "SHA256", ["checksumValue"] = sha256!.ToLowerInvariant() });
        }

        if (SbomContent.IsHex(md5, 32))
        {
            checksums.Add((JsonNode)new JsonObject { ["algorithm"] = "MD5", ["checksumValue"] = md5!.ToLowerInvariant() });
        }

        if (checksums.Count > 0)
        {
            package["checksums"] = checksums;
        }

        package["licenseConcluded"] = "NOASSERTION";
        package["licenseDeclared"] = SbomContent.IsSpdxExpression(license) ? license : "NOASSERTION";
        package["copyrightText"] = "NOASSERTION";
        package["externalRefs"] = new JsonArray
        {
            (JsonNode)new JsonObject { ["referenceCategory"] = "PACKAGE-MANAGER", ["referenceType"] = "purl", ["referenceLocator"] = purl },
        };
        return package;
    }

    // SPDX ids allow letters, digits, '.' and '-' only; a counter keeps sanitized names unique.
    private static string Id(Dictionary<string, string> ids, string kind, string name, string purl)
    {
        var clean = new StringBuilder();
        foreach (var c in name)
        {
            clean.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '-');
        }

        var id = $"SPDXRef-{kind}-{clean}";
        var candidate = id;
        for (var n = 2; ids.ContainsValue(candidate); n++)
        {
            candidate = $"{id}-{n}";
        }

        ids[purl] = candidate;
        return candidate;
    }

    private static JsonObject Relationship(string element, string type, string related) => new()
    {
        ["spdxElementId"] = element,
        ["relationshipType"] = type,
        ["relatedSpdxElement"] = related,
    };
}
