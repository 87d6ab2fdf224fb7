using System.Net;
using System.Net.Http.Headers;
using Envship.Core.Registry.Auth;
using Envship.Core.Registry.Transport;

namespace Envship.Core.Registry;

/// <summary>
/// One repository on one registry, speaking the OCI distribution API: blobs (HEAD, ranged GET, mount, monolithic
/// and chunked upload), manifests (GET, HEAD, PUT) and referrers (the API, or the <c>sha256-HEX</c> tag schema).
/// It checks transport only; callers verify the digests of what they read.
/// </summary>
public sealed partial class RegistryRepository : IOciSource, IOciTarget, IDisposable
{
    /// <summary>The most manifest bytes read into memory; the distribution spec suggests registries accept at least 4 MiB.</summary>
    public const int MaxManifestBytes = 4 * 1024 * 1024;

    private static readonly string[] ManifestAccept =
    [
        OciMediaTypes.ImageManifest,
        OciMediaTypes.ImageIndex,
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ];

    private readonly bool _ownsClient;

    internal RegistryRepository(RegistryClient client, string name, bool ownsClient)
    {
        Client = client;
        Name = name;
        _ownsClient = ownsClient;
    }

    /// <summary>A repository with a client of its own, disposed with it.</summary>
    public static RegistryRepository Open(OciReference reference, RemoteOptions options, ICredentialSource? credentials = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return new RegistryRepository(RegistryClient.Create(reference.Registry, options, credentials), reference.Repository, ownsClient: true);
    }

    public RegistryClient Client { get; }

    /// <summary>The repository's name, e.g. <c>team/env</c>.</summary>
    public string Name { get; }

    public string Location => $"{OciReference.Scheme}{Client.Registry}/{Name}";

    public async Task<bool> HasBlobAsync(OciDescriptor blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, BlobUri(blob.Digest)), push: false, cancellationToken).ConfigureAwait(false);
        return response.StatusCode switch
        {
            HttpStatusCode.OK => true,
            HttpStatusCode.NotFound => false,
            _ => throw await RemoteFailure.FromResponseAsync(response, $"blob {blob.Digest} in {Name}", cancellationToken).ConfigureAwait(false),
        };
    }

    public async Task<Stream> OpenBlobAsync(OciDescriptor blob, long offset, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var uri = BlobUri(blob.Digest);
        var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (offset > 0)
            {
                request.Headers.Range = new RangeHeaderValue(offset, null);
            }

            return request;
        }, push: false, cancellationToken).ConfigureAwait(false);
        try
        {
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && offset >= blob.Size)
            {
                response.Dispose();
                return new MemoryStream([], writable: false);
            }

            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PartialContent))
            {
                throw await RemoteFailure.FromResponseAsync(response, $"blob {blob.Digest} in {Name}", cancellationToken).ConfigureAwait(false);
            }

            var body = RemoteFailure.GuardReads(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), uri, Client.Options, response);
            if (offset > 0 && response.StatusCode == HttpStatusCode.OK)
            {
                // The server ignored Range: skip what the caller already has.
                await SkipAsync(body, offset, uri, cancellationToken).ConfigureAwait(false);
            }

            return body;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async Task<OciManifestBytes> GetManifestAsync(string reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        using var response = await SendAsync(() => ManifestRequest(HttpMethod.Get, reference), push: false, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await RemoteFailure.FromResponseAsync(response, $"manifest {reference} in {Name}", cancellationToken).ConfigureAwait(false);
        }

        var content = await ReadLimitedAsync(response, reference, cancellationToken).ConfigureAwait(false);
        var digest = OciDigest.Of(content);
        var claimed = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
        if ((OciDigest.IsValid(reference) && reference != digest) || (OciDigest.IsValid(claimed) && claimed != digest))
        {
            throw new EnvshipException(ExitCode.DamagedArchive,
                $"{Location}: the manifest {reference} has the digest {digest}, not {(OciDigest.IsValid(reference) ? reference : claimed)}: the registry's copy is damaged or was changed; push it again.");
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (string.IsNullOrEmpty(mediaType) || mediaType == "application/json" || mediaType == "text/plain")
        {
            mediaType = ManifestFacts.Read(content).MediaType ?? OciMediaTypes.ImageManifest;
        }

        return new OciManifestBytes(content, mediaType, digest);
    }

    /// <summary>The descriptor of the manifest <paramref name="reference"/> names (HEAD), or null when there is none.</summary>
    public async Task<OciDescriptor?> ResolveManifestAsync(string reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        using var response = await SendAsync(() => ManifestRequest(HttpMethod.Head, reference), push: false, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await RemoteFailure.FromResponseAsync(response, $"manifest {reference} in {Name}", cancellationToken).ConfigureAwait(false);
        }

        var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
        if (!OciDigest.IsValid(digest) || response.Content.Headers.ContentLength is not { } size)
        {
            // Without a digest header the only way to know is to read the manifest.
            var manifest = await GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
            return new OciDescriptor { MediaType = manifest.MediaType, Digest = manifest.Digest, Size = manifest.Content.Length };
        }

        return new OciDescriptor { MediaType = response.Content.Headers.ContentType?.MediaType ?? OciMediaTypes.ImageManifest, Digest = digest!, Size = size };
    }

    public async Task PushManifestAsync(string reference, OciManifestBytes manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(manifest);
        if (OciDigest.IsValid(reference) && reference != manifest.Digest)
        {
            throw new ArgumentException($"the manifest's digest is {manifest.Digest}, not {reference}", nameof(reference));
        }

        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, ManifestUri(reference))
        {
            Content = new ByteArrayContent(manifest.Content) { Headers = { ContentType = new MediaTypeHeaderValue(manifest.MediaType) } },
        }, push: true, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created && !response.IsSuccessStatusCode)
        {
            throw await RemoteFailure.FromResponseAsync(response, $"manifest {reference} in {Name} (upload)", cancellationToken).ConfigureAwait(false);
        }

        var facts = ManifestFacts.Read(manifest.Content);
        if (facts.SubjectDigest is not null && !response.Headers.Contains("OCI-Subject"))
        {
            await AddToReferrersTagAsync(facts, manifest, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        if (_ownsClient)
        {
            Client.Dispose();
        }
    }

    internal Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, bool push, CancellationToken cancellationToken,
        bool replayable = true, IReadOnlyList<string>? extraScopes = null, HttpCompletionOption completion = HttpCompletionOption.ResponseHeadersRead)
    {
        IReadOnlyList<string> scopes = [RegistryAuthenticator.RepositoryScope(Name, push), .. extraScopes ?? []];
        return Client.Authenticator.SendAsync(create, scopes, replayable, completion, cancellationToken);
    }

    private Uri BlobUri(string digest) => Client.Endpoint($"/v2/{Name}/blobs/{digest}");

    private Uri ManifestUri(string reference) => Client.Endpoint($"/v2/{Name}/manifests/{reference}");

    private HttpRequestMessage ManifestRequest(HttpMethod method, string reference)
    {
        var request = new HttpRequestMessage(method, ManifestUri(reference));
        foreach (var type in ManifestAccept)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }

        return request;
    }

    private async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, string reference, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > MaxManifestBytes)
        {
            throw TooBig();
        }

        var uri = response.RequestMessage!.RequestUri!;
        await using var body = RemoteFailure.GuardReads(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), uri, Client.Options);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > MaxManifestBytes)
            {
                throw TooBig();
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();

        EnvshipException TooBig() => new(ExitCode.DamagedArchive,
            $"{Location}: the manifest {reference} is larger than {MaxManifestBytes / 1024 / 1024} MiB; that is no environment envship pushed.");
    }

    private static async Task SkipAsync(Stream body, long count, Uri uri, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        while (count > 0)
        {
            var n = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EnvshipException(ExitCode.RemoteUnavailable, $"{uri.GetLeftPart(UriPartial.Authority)} sent {uri.AbsolutePath} shorter than the offset to resume from: retry.");
            }

            count -= n;
        }
    }
}
