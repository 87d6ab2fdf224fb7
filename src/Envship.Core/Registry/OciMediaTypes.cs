namespace Envship.Core.Registry;

/// <summary>The media types of an environment stored in an OCI registry or image layout (docs/registry.md).</summary>
public static class OciMediaTypes
{
    public const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string ImageIndex = "application/vnd.oci.image.index.v1+json";

    /// <summary>The <c>artifactType</c> of an environment's image manifest.</summary>
    public const string Environment = "application/vnd.envship.environment.v1";

    /// <summary>The config blob: the envship manifest's bytes exactly as the single-file archive carries them.</summary>
    public const string ManifestConfig = "application/vnd.envship.manifest.v1+json";

    /// <summary>A layer: a deterministic tar in independent zstd frames.</summary>
    public const string Layer = "application/vnd.envship.layer.v1.tar+zstd";

    /// <summary>The <c>artifactType</c> of a signature referrer whose <c>subject</c> is an environment's manifest.</summary>
    public const string Signature = "application/vnd.envship.signature.v1";

    /// <summary>The one layer of a signature referrer: a minisign signature of the environment manifest's digest string.</summary>
    public const string MinisignSignature = "application/vnd.envship.signature.v1.minisig";

    /// <summary>The empty config (<c>{}</c>) that artifacts without a config of their own point to.</summary>
    public const string Empty = "application/vnd.oci.empty.v1+json";
}
