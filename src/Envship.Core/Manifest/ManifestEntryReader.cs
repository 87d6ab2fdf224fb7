using System.Text.Json.Serialization;
using System.Text.Json;
using Envship.Core.Archive;
using Envship.Core.Pack;

namespace Envship.Core.Manifests;

/// <summary>The manifest's shape for reading, with entries read by <see cref="ManifestEntryReader"/>.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    Converters = [typeof(ManifestEntryReader)])]
[JsonSerializable(typeof(Manifest))]
internal sealed partial class ManifestReadContext : JsonSerializerContext;

/// <summary>
/// Reads one manifest entry field by field. The generated reader builds a record with required
/// init-only properties through its parameterized-constructor path, every value boxed into an
/// argument array: 80% of the time a deploy of 200,000 entries spent before its first write.
/// This reads the same JSON with the same rules (unknown fields skipped, required fields checked,
/// enums by name in any case or by number) and fails with <see cref="JsonException"/> alike.
/// </summary>
internal sealed class ManifestEntryReader : JsonConverter<ManifestEntry>
{
    public override ManifestEntry Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"a manifest entry must be an object, not {reader.TokenType}");
        }

        string? path = null;
        string? sha256 = null;
        Sha256Digest? digest = null;
        string? target = null;
        EntryType? type = null;
        int? mode = null;
        long? mtime = null;
        long size = 0;
        FileRelocation? relocation = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("path"u8))
            {
                path = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                type = NextType(ref reader);
            }
            else if (reader.ValueTextEquals("mode"u8))
            {
                mode = NextNumber(ref reader, static (ref Utf8JsonReader r, out int v) => r.TryGetInt32(out v));
            }
            else if (reader.ValueTextEquals("mtime_ns"u8))
            {
                mtime = NextNumber(ref reader, static (ref Utf8JsonReader r, out long v) => r.TryGetInt64(out v));
            }
            else if (reader.ValueTextEquals("size"u8))
            {
                size = NextNumber(ref reader, static (ref Utf8JsonReader r, out long v) => r.TryGetInt64(out v));
            }
            else if (reader.ValueTextEquals("sha256"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && !reader.HasValueSequence && Sha256Digest.TryParseLowerHex(reader.ValueSpan, out var parsed))
                {
                    (digest, sha256) = (parsed, null);
                }
                else
                {
                    (digest, sha256) = (null, CurrentString(ref reader));
                }
            }
            else if (reader.ValueTextEquals("target"u8))
            {
                target = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("relocation"u8))
            {
                reader.Read();
                relocation = reader.TokenType == JsonTokenType.Null ? null : JsonSerializer.Deserialize(ref reader, ManifestReadContext.Default.FileRelocation);
            }
            else
            {
                // The serializer buffers the whole entry before calling a converter, so this always succeeds.
                reader.Read();
                if (!reader.TrySkip())
                {
                    throw new JsonException("a manifest entry is cut short");
                }
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw new JsonException("a manifest entry ends before its closing brace");
        }

        if (path is null || type is null || mode is null || mtime is null)
        {
            var missing = new[] { ("path", path is null), ("type", type is null), ("mode", mode is null), ("mtime_ns", mtime is null) }.Where(f => f.Item2).Select(f => $"'{f.Item1}'");
            throw new JsonException($"a manifest entry is missing required properties: {string.Join(", ", missing)}");
        }

        return digest is { } held
            ? new ManifestEntry { Path = path, Type = type.Value, Mode = mode.Value, MtimeNs = mtime.Value, Size = size, Digest = held, Target = target, Relocation = relocation }
            : new ManifestEntry { Path = path, Type = type.Value, Mode = mode.Value, MtimeNs = mtime.Value, Size = size, Sha256 = sha256, Target = target, Relocation = relocation };
    }

    public override void Write(Utf8JsonWriter writer, ManifestEntry value, JsonSerializerOptions options) =>
        throw new NotSupportedException("manifests are written by ManifestJsonContext");

    private delegate bool TryGet<T>(ref Utf8JsonReader reader, out T value);

    private static string? NextString(ref Utf8JsonReader reader)
    {
        reader.Read();
        return CurrentString(ref reader);
    }

    private static string? CurrentString(ref Utf8JsonReader reader) =>
        reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            var other => throw new JsonException($"expected a string in a manifest entry, found {other}"),
        };

    private static T NextNumber<T>(ref Utf8JsonReader reader, TryGet<T> tryGet)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && tryGet(ref reader, out var value)
            ? value
            : throw new JsonException($"expected a {typeof(T).Name} in a manifest entry, found {reader.TokenType}");
    }

    private static EntryType NextType(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            // The names packs write, without a string per entry; anything else goes the long way.
            if (reader.ValueTextEquals("File"u8))
            {
                return EntryType.File;
            }

            if (reader.ValueTextEquals("Directory"u8))
            {
                return EntryType.Directory;
            }

            if (reader.ValueTextEquals("Symlink"u8))
            {
                return EntryType.Symlink;
            }

            if (reader.ValueTextEquals("Hardlink"u8))
            {
                return EntryType.Hardlink;
            }
        }

        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number))
        {
            return (EntryType)number;
        }

        if (reader.TokenType == JsonTokenType.String && Enum.TryParse<EntryType>(reader.GetString(), ignoreCase: true, out var named) && !int.TryParse(reader.GetString(), out _))
        {
            return named;
        }

        throw new JsonException($"'{(reader.TokenType == JsonTokenType.String ? reader.GetString() : reader.TokenType.ToString())}' is not an entry type");
    }
}
