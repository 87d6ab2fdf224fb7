using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json;
using Envship.Core.Archive;
using Envship.Core.Pack;

namespace Envship.Core.Manifests;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    WriteIndented = true)]
[JsonSerializable(typeof(Manifest))]
[JsonSerializable(typeof(ManifestEntry))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;

/// <summary>
/// The manifest's JSON. Entries are written one at a time into a small buffer that is flushed as it
/// fills, and read back from a stream, so a 200,000-entry manifest never exists as one growing
/// buffer next to its object graph: the JSON text is the only thing whose size follows the entry count.
/// </summary>
public static class ManifestJson
{
    internal const string EntriesProperty = "entries";
    internal static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = ManifestJsonContext.Default.Options.Encoder };

    /// <summary>The manifest as one array of exactly its size (the tar header needs the size and digest up front).</summary>
    public static byte[] Serialize(Manifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);

        // Measuring first costs a second pass but avoids the doubling buffers, which peak near three times the result.
        using var counter = new CountingStream();
        Write(manifest, counter);
        var bytes = new byte[counter.Length];
        using (var fill = new MemoryStream(bytes, writable: true))
        {
            Write(manifest, fill);
            if (fill.Position != bytes.Length)
            {
                throw new InvalidOperationException("The manifest serialized to two different lengths.");
            }
        }

        return bytes;
    }

    /// <summary>Writes the manifest to <paramref name="output"/> with bounded buffering.</summary>
    public static void Write(Manifest manifest, Stream output)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var json = NewOutput(output);
        WriteObject(json, manifest);
        json.Spill();
    }

    /// <summary>
    /// Writes a manifest whose entries were spooled: <paramref name="manifest"/>'s own entries are
    /// ignored, and the bytes are the same as <see cref="Write(Manifest, Stream)"/> with those entries.
    /// </summary>
    internal static void Write(Manifest manifest, ManifestEntrySpool entries, Stream output)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var head = new MemoryStream();
        Write(manifest with { Entries = [] }, head);
        if (entries.Count == 0)
        {
            head.Position = 0;
            head.CopyTo(output);
            return;
        }

        // Entries is the last property, so the outline ends with an empty array and the closing brace.
        var newLine = Environment.NewLine;
        var emptyTail = System.Text.Encoding.UTF8.GetBytes($"]{newLine}}}");
        var text = head.GetBuffer().AsSpan(0, (int)head.Length);
        if (!text.EndsWith(emptyTail) || text[..^emptyTail.Length] is not [.., (byte)'['])
        {
            throw new InvalidOperationException("The manifest outline does not end with its entries.");
        }

        output.Write(text[..^emptyTail.Length]);
        entries.CopyTo(output);
        output.Write(System.Text.Encoding.UTF8.GetBytes($"{newLine}  ]{newLine}}}"));
    }

    internal static JsonOutput NewOutput(Stream output) => new(output, WriterOptions);

    /// <summary>
    /// Writes the manifest as a JSON object at the writer's position, byte for byte as the serializer would.
    /// </summary>
    internal static void WriteObject(JsonOutput json, Manifest manifest)
    {
        var writer = json.Writer;
        var context = ManifestJsonContext.Default;
        var head = JsonSerializer.SerializeToNode(manifest with { Entries = [] }, context.Manifest)!.AsObject();
        writer.WriteStartObject();
        foreach (var (name, value) in head)
        {
            writer.WritePropertyName(name);
            if (name == EntriesProperty)
            {
                writer.WriteStartArray();
                foreach (var entry in manifest.Entries)
                {
                    ManifestEntryWriter.Write(writer, entry);
                    json.SpillWhenFull();
                }

                writer.WriteEndArray();
            }
            else
            {
                WriteValue(writer, value, context.Options);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// Copies one value of a serialized outline. Scalars keep their serialized text: re-writing a string
    /// would escape what the serializer left alone, such as the '+' of a <see cref="DateTimeOffset"/>.
    /// </summary>
    internal static void WriteValue(Utf8JsonWriter writer, JsonNode? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else if (value is JsonValue scalar && scalar.TryGetValue<JsonElement>(out var element))
        {
            writer.WriteRawValue(element.GetRawText(), skipInputValidation: true);
        }
        else
        {
            value.WriteTo(writer, options);
        }
    }

    /// <exception cref="InvalidDataException">The bytes are not a manifest this version understands.</exception>
    public static Manifest Deserialize(ReadOnlySpan<byte> json, string source)
    {
        Manifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(json, ManifestReadContext.Default.Manifest);
        }
        catch (JsonException ex)
        {
            throw NotJson(source, ex);
        }

        return Checked(manifest, source);
    }

    /// <summary>Parses a manifest as it streams in, holding only a small read buffer besides the result.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a manifest this version understands.</exception>
    public static Manifest Deserialize(Stream json, string source)
    {
        Manifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(json, ManifestReadContext.Default.Manifest);
        }
        catch (JsonException ex)
        {
            throw NotJson(source, ex);
        }

        return Checked(manifest, source);
    }

    private static InvalidDataException NotJson(string source, JsonException ex) =>
        new($"{source}: the manifest is not valid JSON ({ex.Message}).", ex);

    private static Manifest Checked(Manifest? manifest, string source)
    {
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
