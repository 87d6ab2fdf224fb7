using System.Text.Json;

namespace Envship.Core.Registry;

/// <summary>The few fields of a manifest or index the client needs, read without trusting the rest.</summary>
internal sealed record ManifestFacts(string? MediaType, string? ArtifactType, string? ConfigMediaType, string? SubjectDigest, IReadOnlyDictionary<string, string>? Annotations)
{
    public static ManifestFacts Read(byte[] content)
    {
        try
        {
            using var document = JsonDocument.Parse(content);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new ManifestFacts(null, null, null, null, null);
            }

            Dictionary<string, string>? annotations = null;
            if (root.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object)
            {
                annotations = a.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
            }

            return new ManifestFacts(
                String(root, "mediaType"),
                String(root, "artifactType"),
                root.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object ? String(config, "mediaType") : null,
                root.TryGetProperty("subject", out var subject) && subject.ValueKind == JsonValueKind.Object ? String(subject, "digest") : null,
                annotations);
        }
        catch (JsonException)
        {
            return new ManifestFacts(null, null, null, null, null);
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
