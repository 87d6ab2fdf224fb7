using System.Text.Json;
using Envship.Core.Manifests;
using Envship.Core.Registry.Layout;
using Envship.Core.Hashing;

namespace Envship.Core.Registry.Pull;

/// <summary>An environment's image manifest as a store returned it, its digest checked.</summary>
public sealed record ResolvedEnvironment(OciManifestBytes Manifest, OciImageManifest Image, string Location);

public sealed record PullOptions
{
    public bool Force { get; init; }

    /// <summary>zstd level of the written archive.</summary>
    public int Level { get; init; } = 3;
    public int Jobs { get; init; } = Environment.ProcessorCount;
    public IProgress<PullProgress>? Progress { get; init; }
}

public readonly record struct PullProgress(string Layer, int LayersDone, int LayersTotal, long BytesDone, long BytesTotal);

/// <param name="ManifestSha256">The envship manifest's SHA-256 (the config's digest without <c>sha256:</c>): what <c>inspect</c> shows.</param>
public sealed record PullResult(string Output, string ManifestDigest, string ManifestSha256, long BytesFetched, int Layers, long OutputBytes);

/// <summary>
/// Reads an environment from a registry or an image layout, checking every blob's digest as it
/// streams and every file's SHA-256 against the manifest.
/// </summary>
public static partial class EnvironmentPuller
{
    /// <summary>The manifest <paramref name="reference"/> names, checked against its digest and refused unless it is an environment.</summary>
    public static async Task<ResolvedEnvironment> ResolveAsync(IOciSource source, string reference, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(reference);
        var manifest = await source.GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        var what = $"{source.Location}:{reference}";
        var digest = OciDigest.Of(manifest.Content);
        if ((OciDigest.IsValid(reference) && digest != reference) || digest != manifest.Digest)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{what}: the manifest's bytes hash to {digest}, not {(OciDigest.IsValid(reference) ? reference : manifest.Digest)}. The store returned damaged or tampered content; do not use it.");
        }

        OciImageManifest image;
        try
        {
            image = OciImageManifest.Parse(manifest.Content);
        }
        catch (JsonException ex)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{what}: the manifest is not valid JSON ({ex.Message}).", ex);
        }

        if (image.MediaType != OciMediaTypes.ImageManifest || image.ArtifactType != OciMediaTypes.Environment || image.Config.MediaType != OciMediaTypes.ManifestConfig
            || image.Layers.Any(l => l.MediaType != OciMediaTypes.Layer))
        {
            throw new EnvshipException(ExitCode.InvalidEnvironment, $"{what}: this is not an envship environment (artifact type '{image.ArtifactType ?? image.Config.MediaType}'). Pass a reference that 'envship push' wrote.");
        }

        return new ResolvedEnvironment(manifest, image, what);
    }

    /// <summary>Copies the config to <paramref name="path"/>, checking its digest; returns the parsed, validated envship manifest.</summary>
    public static async Task<Manifest> FetchConfigAsync(IOciSource source, ResolvedEnvironment environment, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(environment);
        var config = environment.Image.Config;
        if (config.Size > Archive.ExpansionLimitStream.ManifestCap)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{environment.Location}: the config declares {config.Size} bytes, more than a manifest may hold. Do not use this artifact.");
        }

        using (var blob = new VerifyingBlobStream(await source.OpenBlobAsync(config, 0, cancellationToken).ConfigureAwait(false), config, $"{environment.Location}: the config"))
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            await blob.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            blob.Verify();
        }

        using var json = File.OpenRead(path);
        Manifest manifest;
        try
        {
            manifest = ManifestJson.Deserialize(json, environment.Location);
        }
        catch (InvalidDataException ex)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{environment.Location}: the config is not an envship manifest ({ex.Message}).", ex);
        }

        ManifestValidator.Validate(manifest, environment.Location);
        return manifest;
    }

    /// <summary>
    /// Copies the environment (manifest, config, layers, and its signature referrers) into an image
    /// layout under <paramref name="tags"/>; each blob's digest is checked as it is stored.
    /// </summary>
    public static async Task<(string ManifestDigest, long BytesFetched)> PullToLayoutAsync(IOciSource source, string reference, OciLayoutStore target, IReadOnlyList<string> tags, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(tags);
        var environment = await ResolveAsync(source, reference, cancellationToken).ConfigureAwait(false);
        long fetched = await CopyBlobsAsync(source, target, [environment.Image.Config, .. environment.Image.Layers], cancellationToken).ConfigureAwait(false);
        foreach (var tag in tags)
        {
            await target.PushManifestAsync(tag, environment.Manifest, cancellationToken).ConfigureAwait(false);
        }

        if (tags.Count == 0)
        {
            await target.PushManifestAsync(environment.Manifest.Digest, environment.Manifest, cancellationToken).ConfigureAwait(false);
        }

        fetched += environment.Manifest.Content.Length;
        foreach (var referrer in await source.GetReferrersAsync(environment.Manifest.Digest, OciMediaTypes.Signature, cancellationToken).ConfigureAwait(false))
        {
            var manifest = await source.GetManifestAsync(referrer.Digest, cancellationToken).ConfigureAwait(false);
            if (OciDigest.Of(manifest.Content) != referrer.Digest)
            {
                throw new EnvshipException(ExitCode.DamagedArchive, $"{source.Location}: signature referrer {referrer.Digest} does not match its digest. The store is damaged or was tampered with.");
            }

            var image = OciImageManifest.Parse(manifest.Content);
            fetched += await CopyBlobsAsync(source, target, [image.Config, .. image.Layers], cancellationToken).ConfigureAwait(false);
            await target.PushManifestAsync(referrer.Digest, manifest with { Digest = referrer.Digest }, cancellationToken).ConfigureAwait(false);
            fetched += manifest.Content.Length;
        }

        return (environment.Manifest.Digest, fetched);
    }

    private static async Task<long> CopyBlobsAsync(IOciSource source, OciLayoutStore target, IEnumerable<OciDescriptor> blobs, CancellationToken cancellationToken)
    {
        long fetched = 0;
        foreach (var blob in blobs)
        {
            if (await target.HasBlobAsync(blob, cancellationToken).ConfigureAwait(false) && Matches(target.BlobPath(blob.Digest), blob.Digest))
            {
                continue;
            }

            fetched += await target.PushBlobAsync(blob, () => source.OpenBlobAsync(blob, 0, cancellationToken).GetAwaiter().GetResult(), cancellationToken).ConfigureAwait(false);
        }

        return fetched;
    }

    private static bool Matches(string path, string digest)
    {
        using var file = File.OpenRead(path);
        return "sha256:" + Sha256.HexOf(file) == digest;
    }
}
