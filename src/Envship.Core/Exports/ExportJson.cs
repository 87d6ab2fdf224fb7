using System.Text.Json;
using System.Text.Json.Serialization;

namespace Envship.Core.Exports;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(ExportEnvironment))]
internal sealed partial class ExportJsonContext : JsonSerializerContext;

/// <summary>The embedded <c>records.json</c>: the export model of one environment.</summary>
public static class ExportJson
{
    public static byte[] Serialize(ExportEnvironment environment) =>
        JsonSerializer.SerializeToUtf8Bytes(environment, ExportJsonContext.Default.ExportEnvironment);

    /// <exception cref="InvalidDataException">The bytes are not an export model.</exception>
    public static ExportEnvironment Deserialize(ReadOnlySpan<byte> json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize(json, ExportJsonContext.Default.ExportEnvironment)
                ?? throw new InvalidDataException($"{source}: the export records are empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: the export records are not valid JSON ({ex.Message}).", ex);
        }
    }
}
