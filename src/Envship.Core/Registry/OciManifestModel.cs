using System.Text.Json;
using System.Text.Json.Serialization;

namespace Envship.Core.Registry;

/// <summary>An OCI content descriptor: what a blob or manifest is, its digest and its size.</summary>
public sealed record OciDescriptor
{
    public required string MediaType { get; init; }
    public required string Digest { get; init; }
    public required long Size { get; init; }
    public string? ArtifactType { get; init; }
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}

/// <summary>An OCI image manifest (image-spec v1.1), the document a tag points to.</summary>
public sealed record OciImageManifest
{
    public int SchemaVersion { get; init; } = 2;
    public string MediaType { get; init; } = OciMediaTypes.ImageManifest;
    public string? ArtifactType { get; init; }
    public required OciDescriptor Config { get; init; }
    public required IReadOnlyList<OciDescriptor> Layers { get; init; }
    public OciDescriptor? Subject { get; init; }
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, OciJsonContext.Writing.OciImageManifest);

    public static OciImageManifest Parse(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, OciJsonContext.Default.OciImageManifest) ?? throw new JsonException("the manifest is null");
}

/// <summary>An OCI image index: the referrers API's answer, the referrers tag schema's document, and an image layout's <c>index.json</c>.</summary>
public sealed record OciImageIndex
{
    public int SchemaVersion { get; init; } = 2;
    public string MediaType { get; init; } = OciMediaTypes.ImageIndex;
    public IReadOnlyList<OciDescriptor> Manifests { get; init; } = [];
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, OciJsonContext.Writing.OciImageIndex);

    public static OciImageIndex Parse(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, OciJsonContext.Default.OciImageIndex) ?? throw new JsonException("the index is null");
}

/// <summary>Well-known annotation keys.</summary>
public static class OciAnnotations
{
    public const string Created = "org.opencontainers.image.created";
    public const string Title = "org.opencontainers.image.title";
    public const string Version = "org.opencontainers.image.version";
    public const string RefName = "org.opencontainers.image.ref.name";
    public const string CondaName = "org.conda.package.name";
    public const string CondaVersion = "org.conda.package.version";
    public const string CondaBuild = "org.conda.package.build";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OciImageManifest))]
[JsonSerializable(typeof(OciImageIndex))]
internal sealed partial class OciJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Writes media types as registries and other clients do (<c>v1+json</c>, not <c>v1\u002Bjson</c>);
    /// the default encoder escapes '+', and the manifest digest covers these exact bytes.
    /// </summary>
    public static OciJsonContext Writing { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
