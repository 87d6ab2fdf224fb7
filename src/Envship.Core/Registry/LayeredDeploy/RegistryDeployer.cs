using Envship.Core.Deploy;
using Envship.Core.Registry.Pull;
using Envship.Core.Trust;

namespace Envship.Core.Registry.LayeredDeploy;

public sealed record RegistryDeployOptions
{
    /// <summary>The blob cache's directory (blobs go under <c>blobs/</c>); null for <see cref="BlobCache.DefaultDirectory"/>.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Fetch into a temporary cache removed after the deploy.</summary>
    public bool NoCache { get; init; }
    public long CacheCapBytes { get; init; } = BlobCache.DefaultCapBytes;

    /// <summary>Blobs fetched at once.</summary>
    public int ParallelFetches { get; init; } = 3;
    public IProgress<LayerProgress>? LayerProgress { get; init; }
}

/// <summary>What a registry deploy moved: bytes fetched (manifest and config included) of the artifact's total, and the layer bytes reused.</summary>
public sealed record LayerTransfer(long BytesFetched, long BytesTotal, long BytesFromCache, long BytesFromDestination, IReadOnlyList<LayerOutcome> Layers)
{
    public long BytesReused => BytesFromCache + BytesFromDestination;
}

public sealed record RegistryDeployResult(DeployResult Deploy, LayerTransfer Transfer, string ManifestDigest);

public sealed record RegistryDryRunResult(DryRunResult DryRun, LayerTransfer Transfer, string ManifestDigest);

/// <summary>
/// <c>envship deploy oci://…</c> and <c>oci-layout:…</c>: the manifest and config are fetched and
/// checked, the signature is checked before any layer is fetched, then the deploy takes its one path
/// (<see cref="Deployer.Deploy(IDeploySource, DeployOptions, VerifiedSignature?, CancellationToken)"/>)
/// with the layers as its source.
/// </summary>
public static class RegistryDeployer
{
    public static RegistryDeployResult Deploy(IOciSource source, string reference, DeployOptions options, RegistryDeployOptions registry, CancellationToken cancellationToken = default)
    {
        var (result, transfer, digest) = Run(source, reference, options, registry, reuse: true, (layers, signature) => Deployer.Deploy(layers, options, signature, cancellationToken), cancellationToken);
        return new RegistryDeployResult(result, transfer, digest);
    }

    /// <summary>Every check a deploy makes, every layer read and every file hashed, nothing written but the blob cache.</summary>
    public static RegistryDryRunResult DryRun(IOciSource source, string reference, DeployOptions options, RegistryDeployOptions registry, CancellationToken cancellationToken = default)
    {
        var (result, transfer, digest) = Run(source, reference, options, registry, reuse: false, (layers, signature) => Envship.Core.Deploy.DryRun.Check(layers, options, signature, cancellationToken), cancellationToken);
        return new RegistryDryRunResult(result, transfer, digest);
    }

    private static (T Result, LayerTransfer Transfer, string Digest) Run<T>(IOciSource source, string reference, DeployOptions options, RegistryDeployOptions registry, bool reuse, Func<LayeredDeploySource, VerifiedSignature?, T> deploy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registry);
        var destination = Deployer.NormalizePrefix(options.Destination);
        var environment = EnvironmentPuller.ResolveAsync(source, reference, cancellationToken).GetAwaiter().GetResult();
        using var cache = BlobCache.Open(registry.CacheDirectory, registry.NoCache, registry.CacheCapBytes);
        var configPath = Path.Combine(cache.Root, "tmp", $"config.{Environment.ProcessId}.{Guid.NewGuid():N}");
        Manifests.Manifest manifest;
        try
        {
            manifest = EnvironmentPuller.FetchConfigAsync(source, environment, configPath, cancellationToken).GetAwaiter().GetResult();
        }
        finally
        {
            File.Delete(configPath);
        }

        var signature = RegistrySignatureGate.CheckAsync(source, environment, options.VerifyKeys, options.RequireSignature, cancellationToken).GetAwaiter().GetResult();
        using var layers = new LayeredDeploySource(source, environment, manifest, cache, reuse && options.Replacing ? destination : null, registry.ParallelFetches, registry.LayerProgress, cancellationToken);
        var result = deploy(layers, signature);
        var image = environment.Image;
        var outcomes = layers.Outcomes;
        var transfer = new LayerTransfer(
            environment.Manifest.Content.Length + image.Config.Size + layers.LayerBytesFetched,
            environment.Manifest.Content.Length + image.Config.Size + image.Layers.Sum(l => l.Size),
            outcomes.Where(o => o.Origin == LayerOrigin.Cache).Sum(o => o.Size),
            outcomes.Where(o => o.Origin == LayerOrigin.Destination).Sum(o => o.Size),
            outcomes);
        cache.Trim(image.Layers.Select(l => l.Digest).ToHashSet(StringComparer.Ordinal));
        return (result, transfer, environment.Manifest.Digest);
    }
}
