using System.Text.Json;
using System.Text.Json.Serialization;

namespace Envship.Core.Conda;

// Wire shapes of the JSON files conda and pip write. They stay internal: the public API exposes
// immutable records, and these only exist so the source generator can read the files without reflection.

internal sealed class CondaRecordDto
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("version")] public string? Version { get; set; }
    [JsonPropertyName("build")] public string? Build { get; set; }
    [JsonPropertyName("build_number")] [JsonConverter(typeof(LenientInt64Converter))] public long? BuildNumber { get; set; }
    [JsonPropertyName("channel")] public string? Channel { get; set; }
    [JsonPropertyName("subdir")] public string? Subdir { get; set; }
    [JsonPropertyName("url")] public string? Url { get; set; }
    [JsonPropertyName("md5")] public string? Md5 { get; set; }
    [JsonPropertyName("sha256")] public string? Sha256 { get; set; }
    [JsonPropertyName("size")] [JsonConverter(typeof(LenientInt64Converter))] public long? Size { get; set; }
    [JsonPropertyName("depends")] public List<string>? Depends { get; set; }
    [JsonPropertyName("constrains")] public List<string>? Constrains { get; set; }
    [JsonPropertyName("license")] public string? License { get; set; }
    [JsonPropertyName("timestamp")] [JsonConverter(typeof(LenientInt64Converter))] public long? Timestamp { get; set; }
    [JsonPropertyName("fn")] public string? Fn { get; set; }
    [JsonPropertyName("requested_spec")] public string? RequestedSpec { get; set; }
    [JsonPropertyName("files")] public List<string>? Files { get; set; }
    [JsonPropertyName("paths_data")] public CondaPathsDataDto? PathsData { get; set; }
    [JsonPropertyName("extracted_package_dir")] public string? ExtractedPackageDir { get; set; }
    [JsonPropertyName("package_tarball_full_path")] public string? PackageTarballFullPath { get; set; }
    [JsonPropertyName("link")] public CondaLinkDto? Link { get; set; }
}

internal sealed class CondaPathsDataDto
{
    [JsonPropertyName("paths")] public List<CondaPathDto>? Paths { get; set; }
}

internal sealed class CondaPathDto
{
    [JsonPropertyName("_path")] public string? Path { get; set; }
    [JsonPropertyName("path_type")] public string? PathType { get; set; }
    [JsonPropertyName("prefix_placeholder")] public string? PrefixPlaceholder { get; set; }
    [JsonPropertyName("file_mode")] public string? FileMode { get; set; }
    [JsonPropertyName("sha256")] public string? Sha256 { get; set; }
    [JsonPropertyName("sha256_in_prefix")] public string? Sha256InPrefix { get; set; }
    [JsonPropertyName("size_in_bytes")] [JsonConverter(typeof(LenientInt64Converter))] public long? SizeInBytes { get; set; }
}

internal sealed class CondaLinkDto
{
    [JsonPropertyName("source")] public string? Source { get; set; }
    [JsonPropertyName("type")] [JsonConverter(typeof(LenientInt64Converter))] public long? Type { get; set; }
}

internal sealed class DirectUrlDto
{
    [JsonPropertyName("url")] public string? Url { get; set; }
    [JsonPropertyName("dir_info")] public DirInfoDto? DirInfo { get; set; }
}

internal sealed class DirInfoDto
{
    [JsonPropertyName("editable")] public bool? Editable { get; set; }
}

[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(CondaRecordDto))]
[JsonSerializable(typeof(DirectUrlDto))]
internal sealed partial class CondaJsonContext : JsonSerializerContext;

/// <summary>
/// Reads integers written by different conda generations: plain numbers, floats (old timestamps),
/// numeric strings, or null. Anything else reads as null instead of failing the whole record.
/// </summary>
internal sealed class LenientInt64Converter : JsonConverter<long?>
{
    public override bool HandleNull => true;

    public override long? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var whole))
                {
                    return whole;
                }

                var real = reader.GetDouble();
                return double.IsFinite(real) && Math.Abs(real) < long.MaxValue ? (long)real : null;
            case JsonTokenType.String:
                return long.TryParse(reader.GetString(), System.Globalization.NumberStyles.Integer,
                    System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
            case JsonTokenType.StartObject:
            case JsonTokenType.StartArray:
                reader.Skip();
                return null;
            default:
                return null;
        }
    }

    public override void Write(Utf8JsonWriter writer, long? value, JsonSerializerOptions options)
    {
        if (value is { } v)
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
