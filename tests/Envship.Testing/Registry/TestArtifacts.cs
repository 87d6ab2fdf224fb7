using System.Security.Cryptography;
using System.Text;
using Envship.Core.Registry;

namespace Envship.Testing.Registry;

/// <summary>Small blobs and manifests to push in registry tests.</summary>
public static class TestArtifacts
{
    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static OciDescriptor Describe(byte[] content, string mediaType) =>
        new() { MediaType = mediaType, Digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content)), Size = content.Length };

    /// <summary>An environment-shaped manifest over a config and layers (pushed separately), optionally a referrer of <paramref name="subject"/>.</summary>
    public static OciManifestBytes Manifest(OciDescriptor config, IReadOnlyList<OciDescriptor> layers, string artifactType = OciMediaTypes.Environment, OciDescriptor? subject = null)
    {
        var manifest = new OciImageManifest
        {
            ArtifactType = artifactType,
            Config = config,
            Layers = layers,
            Subject = subject,
            Annotations = new Dictionary<string, string> { [OciAnnotations.Title] = "test" },
        };
        var bytes = manifest.ToJson();
        return new OciManifestBytes(bytes, OciMediaTypes.ImageManifest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    /// <summary>The empty config <c>{}</c> that signatures and other artifacts point to.</summary>
    public static byte[] EmptyConfig { get; } = Encoding.ASCII.GetBytes("{}");
}
