using System.Globalization;
using Envship.Core.Manifests;

namespace Envship.Core.Registry.Artifact;

/// <summary>
/// An environment as an OCI artifact, its blobs in files under <see cref="WorkDirectory"/> (removed
/// on dispose): the config (the envship manifest's bytes) and the layers in their order.
/// </summary>
public sealed class BuiltArtifact : IDisposable
{
    internal BuiltArtifact(string workDirectory, Manifest manifest, OciDescriptor config, string configPath, IReadOnlyList<LayerBlob> layers)
    {
        WorkDirectory = workDirectory;
        Manifest = manifest;
        Config = config;
        ConfigPath = configPath;
        Layers = layers;
    }

    public string WorkDirectory { get; }

    /// <summary>The envship manifest; its entries are all there.</summary>
    public Manifest Manifest { get; }

    public OciDescriptor Config { get; }
    public string ConfigPath { get; }
    public IReadOnlyList<LayerBlob> Layers { get; }

    /// <summary>The environment's name: the root environment's, else the first one's.</summary>
    public string Title => Manifest.Environments.FirstOrDefault(e => e.Path.Length == 0)?.Name ?? (Manifest.Environments.Count > 0 ? Manifest.Environments[0].Name : "environment");

    /// <summary>The image manifest; <paramref name="version"/> (the first tag pushed) goes into its annotations.</summary>
    public OciManifestBytes ImageManifest(string? version)
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [OciAnnotations.Created] = Manifest.Created.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            [OciAnnotations.Title] = Title,
        };
        if (!string.IsNullOrEmpty(version))
        {
            annotations[OciAnnotations.Version] = version;
        }

        var manifest = new OciImageManifest
        {
            ArtifactType = OciMediaTypes.Environment,
            Config = Config,
            Layers = [.. Layers.Select(l => l.Descriptor)],
            Annotations = annotations,
        };
        var bytes = manifest.ToJson();
        return new OciManifestBytes(bytes, OciMediaTypes.ImageManifest, OciDigest.Of(bytes));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory left behind costs disk space, not correctness.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
