using System.Text.Json;
using System.Text.Json.Serialization;

namespace Envship.Core.Archive;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    WriteIndented = true)]
[JsonSerializable(typeof(Manifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;

public static class ManifestJson
{
    public static byte[] Serialize(Manifest manifest) => JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.Manifest);

    /// <exception cref="InvalidDataException">The bytes are not a manifest this version understands.</exception>
    public static Manifest Deserialize(ReadOnlySpan<byte> json, string source)
    {
        Manifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(json, ManifestJsonContext.Default.Manifest);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: the manifest is not valid JSON ({ex.Message}).", ex);
        }

        if (manifest is null)
        {
            throw new InvalidDataException($"{source}: the manifest is empty.");
        }

        if (manifest.FormatVersion > Manifest.CurrentFormatVersion)
        {
            throw new InvalidDataException(
                $"{source}: manifest format {manifest.FormatVersion} is newer than this envship understands ({Manifest.CurrentFormatVersion}); upgrade envship.");
        }

        return manifest;
    }
}
