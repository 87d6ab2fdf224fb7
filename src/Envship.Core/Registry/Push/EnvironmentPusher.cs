using System.Text;
using Envship.Core.Registry.Artifact;
using Envship.Core.Trust;

namespace Envship.Core.Registry.Push;

public enum BlobOutcome
{
    /// <summary>The target lacked it and it was sent.</summary>
    Uploaded,

    /// <summary>The target had it already.</summary>
    Present,

    /// <summary>Mounted from another repository of the same registry, no bytes sent.</summary>
    Mounted,
}

public sealed record PushOptions
{
    /// <summary>The tags to point at the manifest; the first one becomes its version annotation. At least one.</summary>
    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>When set, a signature referrer is pushed too (docs/registry.md).</summary>
    public MinisignSecretKey? SigningKey { get; init; }

    /// <summary>Layers uploaded at once.</summary>
    public int Parallelism { get; init; } = 3;

    public IProgress<PushProgress>? Progress { get; init; }
}

/// <param name="Layer">The layer's title (<c>base</c>, <c>conda:…</c>, <c>pip:…</c>) or <c>config</c>.</param>
public readonly record struct PushProgress(string Layer, BlobOutcome? Outcome, int BlobsDone, int BlobsTotal, long BytesDone, long BytesTotal);

public sealed record PushedBlob(string Title, string Digest, long Size, BlobOutcome Outcome);

/// <param name="BytesUploaded">Bytes sent: the blobs the target lacked, the manifest and the signature referrer if any.</param>
/// <param name="BytesSkipped">Sizes of the blobs the target had or mounted.</param>
public sealed record PushResult(string Location, string ManifestDigest, long ManifestSize, IReadOnlyList<string> Tags, long BytesUploaded, long BytesSkipped, IReadOnlyList<PushedBlob> Layers, PushedBlob Config, string? SignatureDigest);

/// <summary>
/// Pushes a built artifact: HEAD each blob, upload only what the target lacks (layers a few at a
/// time), then the config, then the manifest under each tag, then the signature referrer.
/// </summary>
public static class EnvironmentPusher
{
    private static readonly byte[] EmptyConfig = Encoding.ASCII.GetBytes("{}");

    public static async Task<PushResult> PushAsync(BuiltArtifact artifact, IOciTarget target, PushOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Tags.Count == 0)
        {
            throw new EnvshipException(ExitCode.Usage, $"{target.Location}: no tag to push to. Name one in the destination (REPO:TAG) or with --tag.");
        }

        var total = artifact.Layers.Sum(l => l.Descriptor.Size) + artifact.Config.Size;
        var blobsTotal = artifact.Layers.Count + 1;
        long bytesDone = 0;
        var blobsDone = 0;
        var results = new PushedBlob[artifact.Layers.Count];
        long uploaded = 0;
        long skipped = 0;

        async Task<PushedBlob> Push(string title, OciDescriptor blob, string path, CancellationToken token)
        {
            var outcome = BlobOutcome.Present;
            if (!await target.HasBlobAsync(blob, token).ConfigureAwait(false))
            {
                var sent = await target.PushBlobAsync(blob, () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), token).ConfigureAwait(false);
                outcome = sent == 0 && blob.Size > 0 ? BlobOutcome.Mounted : BlobOutcome.Uploaded;
                Interlocked.Add(ref uploaded, sent);
            }

            if (outcome != BlobOutcome.Uploaded)
            {
                Interlocked.Add(ref skipped, blob.Size);
            }

            var done = Interlocked.Increment(ref blobsDone);
            options.Progress?.Report(new PushProgress(title, outcome, done, blobsTotal, Interlocked.Add(ref bytesDone, blob.Size), total));
            return new PushedBlob(title, blob.Digest, blob.Size, outcome);
        }

        await Parallel.ForEachAsync(
            Enumerable.Range(0, artifact.Layers.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism), CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var layer = artifact.Layers[i];
                results[i] = await Push(layer.Layer.Title, layer.Descriptor, layer.Path, token).ConfigureAwait(false);
            }).ConfigureAwait(false);
        var config = await Push("config", artifact.Config, artifact.ConfigPath, cancellationToken).ConfigureAwait(false);

        var manifest = artifact.ImageManifest(options.Tags[0]);
        foreach (var tag in options.Tags)
        {
            await target.PushManifestAsync(tag, manifest, cancellationToken).ConfigureAwait(false);
        }

        uploaded += manifest.Content.Length;
        string? signatureDigest = null;
        if (options.SigningKey is { } key)
        {
            (signatureDigest, var sent) = await PushSignatureAsync(target, manifest, key, cancellationToken).ConfigureAwait(false);
            uploaded += sent;
        }

        return new PushResult(target.Location, manifest.Digest, manifest.Content.Length, options.Tags, uploaded, skipped, results, config, signatureDigest);
    }

    /// <summary>
    /// A referrer of the environment's manifest: the empty config and one layer, a minisign signature
    /// (prehashed) of the manifest's digest string. Returns its digest and the bytes sent.
    /// </summary>
    public static async Task<(string Digest, long BytesSent)> PushSignatureAsync(IOciTarget target, OciManifestBytes subject, MinisignSecretKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(key);
        var signature = SignDigest(subject.Digest, key);
        var signatureBytes = Encoding.UTF8.GetBytes(signature.ToFileText());
        var emptyConfig = new OciDescriptor { MediaType = OciMediaTypes.Empty, Digest = OciDigest.Of(EmptyConfig), Size = EmptyConfig.Length };
        var layer = new OciDescriptor { MediaType = OciMediaTypes.MinisignSignature, Digest = OciDigest.Of(signatureBytes), Size = signatureBytes.Length };
        long sent = 0;
        foreach (var (blob, bytes) in new[] { (emptyConfig, EmptyConfig), (layer, signatureBytes) })
        {
            if (!await target.HasBlobAsync(blob, cancellationToken).ConfigureAwait(false))
            {
                sent += await target.PushBlobAsync(blob, () => new MemoryStream(bytes, writable: false), cancellationToken).ConfigureAwait(false);
            }
        }

        var referrer = new OciImageManifest
        {
            ArtifactType = OciMediaTypes.Signature,
            Config = emptyConfig,
            Layers = [layer],
            Subject = new OciDescriptor { MediaType = subject.MediaType, Digest = subject.Digest, Size = subject.Content.Length },
            Annotations = new Dictionary<string, string>(StringComparer.Ordinal) { [OciAnnotations.Created] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) },
        };
        var json = referrer.ToJson();
        var manifest = new OciManifestBytes(json, OciMediaTypes.ImageManifest, OciDigest.Of(json));
        await target.PushManifestAsync(manifest.Digest, manifest, cancellationToken).ConfigureAwait(false);
        return (manifest.Digest, sent + json.Length);
    }

    /// <summary>A prehashed minisign signature of the ASCII digest string, as <c>minisign -S</c> of a file holding it would make.</summary>
    public static MinisignSignature SignDigest(string digest, MinisignSecretKey key)
    {
        ArgumentNullException.ThrowIfNull(digest);
        ArgumentNullException.ThrowIfNull(key);
        var prehash = new byte[SignedContent.PrehashLength];
        var blake = new Org.BouncyCastle.Crypto.Digests.Blake2bDigest(SignedContent.PrehashLength * 8);
        var bytes = Encoding.ASCII.GetBytes(digest);
        blake.BlockUpdate(bytes, 0, bytes.Length);
        blake.DoFinal(prehash, 0);
        var trusted = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"timestamp:{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}\tmanifest:{digest}\thashed");
        return FileSigner.SignPrehash(prehash, key, trusted, FileSigner.DefaultUntrustedComment);
    }
}
