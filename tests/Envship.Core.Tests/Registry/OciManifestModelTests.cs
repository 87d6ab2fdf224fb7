using System.Text;
using Envship.Core.Registry;

namespace Envship.Core.Tests.Registry;

public sealed class OciManifestModelTests
{
    [Fact]
    public void Media_types_are_written_literally_and_read_back_the_same()
    {
        var manifest = new OciImageManifest
        {
            ArtifactType = OciMediaTypes.Environment,
            Config = new OciDescriptor { MediaType = OciMediaTypes.ManifestConfig, Digest = "sha256:" + new string('a', 64), Size = 2 },
            Layers = [new OciDescriptor { MediaType = OciMediaTypes.Layer, Digest = "sha256:" + new string('b', 64), Size = 3, Annotations = new Dictionary<string, string> { [OciAnnotations.Title] = "conda:zlib-1.2.11-h1de35cc_3" } }],
        };

        var json = Encoding.UTF8.GetString(manifest.ToJson());

        Assert.Contains("\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"", json, StringComparison.Ordinal);
        Assert.Contains("application/vnd.envship.layer.v1.tar+zstd", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u", json, StringComparison.Ordinal);
        Assert.DoesNotContain("subject", json, StringComparison.Ordinal);
        Assert.Equal(manifest.Layers[0].Annotations, OciImageManifest.Parse(Encoding.UTF8.GetBytes(json)).Layers[0].Annotations);
    }
}
