using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Envship.Core.Hashing;

namespace Envship.Core.Exports;

/// <summary>What the CycloneDX and SPDX exporters share: purls, the dependency graph and deterministic identifiers.</summary>
internal static partial class SbomContent
{
    // Relaxed escaping keeps purls readable ("&" rather than "\u0026"); the output is a file, never HTML.
    private static readonly JsonSerializerOptions _indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Each conda package's purl, and the purls of the installed packages it depends on.</summary>
    public static List<(ExportPackage Package, string Purl, List<string> DependsOn)> CondaGraph(ExportEnvironment environment)
    {
        var packages = environment.Packages.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        var purls = packages.GroupBy(p => p.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => PackageUrl.Conda(g.First()), StringComparer.Ordinal);
        return
        [
            .. packages.Select(p => (p, PackageUrl.Conda(p), DependencyOrder.DependencyNames(p)
                .Where(purls.ContainsKey)
                .Select(n => purls[n])
                .Order(StringComparer.Ordinal)
                .ToList())),
        ];
    }

    public static List<(ExportPipDistribution Distribution, string Purl)> PipComponents(ExportEnvironment environment) =>
    [
        .. environment.PipDistributions
            .Select(d => (d, PackageUrl.Pypi(d)))
            .DistinctBy(x => x.Item2, StringComparer.Ordinal)
            .OrderBy(x => x.Item2, StringComparer.Ordinal),
    ];

    /// <summary>A name-based (version 5 style) UUID from a SHA-256 of the content, so the same input gives the same id.</summary>
    public static string ContentUuid(JsonNode content)
    {
        var hash = Sha256.HashData(Encoding.UTF8.GetBytes(content.ToJsonString()));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(hash.AsSpan(0, 16));
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }

    public static string Timestamp(DateTimeOffset created) =>
        created.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static bool IsHex(string? value, int length) =>
        value is not null && value.Length == length && value.All(char.IsAsciiHexDigit);

    /// <summary>True for license strings that read as an SPDX expression (ids joined by AND, OR, WITH).</summary>
    public static bool IsSpdxExpression(string? license) => license is { Length: > 0 } && SpdxExpression().IsMatch(license);

    public static byte[] ToUtf8(JsonNode document) =>
        Encoding.UTF8.GetBytes(document.ToJsonString(_indented).ReplaceLineEndings("\n") + "\n");

    [GeneratedRegex(@"^\(?[A-Za-z0-9.+-]+\)?( (AND|OR|WITH) \(?[A-Za-z0-9.+-]+\)?)*$")]
    private static partial Regex SpdxExpression();
}
