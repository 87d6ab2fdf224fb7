using System.Text.Json;

namespace Envship.Core.Registry.LayeredDeploy;

/// <summary>One layer a registry deploy wrote: its digest and the paths of its members, in order.</summary>
public sealed record RecordedLayer(string Digest, string Title, IReadOnlyList<string> Paths);

/// <summary>
/// <c>DEST/.envship/layers.json</c>: which paths each layer of the deployed artifact held. The next
/// deploy to DEST knows from it, without fetching, what a layer with the same digest holds: same
/// digest, same bytes, same members. What it claims is never trusted alone: every file it names is
/// checked against the new manifest and DEST's receipt, and a wrong list fails the deploy as incomplete.
/// </summary>
public static class LayerRecord
{
    public const string RelativePath = ".envship/layers.json";

    public static void Save(string prefix, string manifestDigest, IReadOnlyList<RecordedLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        using var file = new FileStream(Path.Combine(prefix, RelativePath), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var json = new Utf8JsonWriter(file);
        json.WriteStartObject();
        json.WriteString("manifest_digest", manifestDigest);
        json.WriteStartArray("layers");
        foreach (var layer in layers)
        {
            json.WriteStartObject();
            json.WriteString("digest", layer.Digest);
            json.WriteString("title", layer.Title);
            json.WriteStartArray("paths");
            foreach (var path in layer.Paths)
            {
                json.WriteStringValue(path);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The layers by digest; empty when DEST has no record or a damaged one (then nothing is reused).</summary>
    public static IReadOnlyDictionary<string, RecordedLayer> Load(string prefix)
    {
        var path = Path.Combine(prefix, RelativePath);
        var layers = new Dictionary<string, RecordedLayer>(StringComparer.Ordinal);
        try
        {
            if (Platform.UnixFileSystem.TryStat(path)?.Kind != Platform.UnixFileKind.RegularFile)
            {
                return layers;
            }

            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            foreach (var layer in document.RootElement.GetProperty("layers").EnumerateArray())
            {
                var digest = layer.GetProperty("digest").GetString();
                if (OciDigest.IsValid(digest))
                {
                    layers[digest!] = new RecordedLayer(
                        digest!,
                        layer.GetProperty("title").GetString() ?? "",
                        [.. layer.GetProperty("paths").EnumerateArray().Select(p => p.GetString() ?? "")]);
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or IOException or UnauthorizedAccessException)
        {
            layers.Clear();
        }

        return layers;
    }
}
