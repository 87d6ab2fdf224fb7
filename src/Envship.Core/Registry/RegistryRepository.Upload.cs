using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Envship.Core.Registry.Auth;
using Envship.Core.Registry.Transport;

namespace Envship.Core.Registry;

public sealed partial class RegistryRepository
{
    private static readonly HttpStatusCode[] MonolithicRefusals =
    [
        HttpStatusCode.BadRequest, HttpStatusCode.MethodNotAllowed, HttpStatusCode.LengthRequired,
        HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.UnsupportedMediaType, HttpStatusCode.NotImplemented,
    ];

    /// <summary>Blobs larger than this go up in chunks (proxies in front of registries often cap request bodies).</summary>
    public long ChunkThreshold { get; set; } = 64L * 1024 * 1024;

    /// <summary>The size of one PATCH of a chunked upload; a registry's <c>OCI-Chunk-Min-Length</c> raises it.</summary>
    public int ChunkSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>Repositories on the same registry that may hold the blobs already (mounted instead of uploaded), used by <see cref="PushBlobAsync(OciDescriptor, Func{Stream}, CancellationToken)"/>.</summary>
    public IReadOnlyList<string> MountCandidates { get; set; } = [];

    public Task<long> PushBlobAsync(OciDescriptor blob, Func<Stream> open, CancellationToken cancellationToken) =>
        PushBlobAsync(blob, open, MountCandidates, cancellationToken);

    /// <summary>
    /// Stores a blob: mounted from one of <paramref name="mountFrom"/> if the registry can (0 bytes sent), else
    /// uploaded in one PUT, or in chunks when it is larger than <see cref="ChunkThreshold"/> or the registry refuses
    /// the single PUT. The blob is streamed from <paramref name="open"/>, never held in memory. Returns the bytes sent.
    /// </summary>
    public async Task<long> PushBlobAsync(OciDescriptor blob, Func<Stream> open, IReadOnlyList<string> mountFrom, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(mountFrom);
        UploadSession? session = null;
        foreach (var from in mountFrom.Where(f => f != Name).Distinct(StringComparer.Ordinal))
        {
            var (mounted, opened) = await TryMountAsync(blob, from, cancellationToken).ConfigureAwait(false);
            if (mounted)
            {
                return 0;
            }

            if (opened is not null)
            {
                session = opened;
                break;
            }
        }

        if (blob.Size > ChunkThreshold)
        {
            return await UploadChunkedAsync(blob, open, session, cancellationToken).ConfigureAwait(false);
        }

        session ??= await StartUploadAsync(blob, cancellationToken).ConfigureAwait(false);
        var source = open();
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, WithQuery(session.Location, "digest=" + Uri.EscapeDataString(blob.Digest)))
        {
            Content = OctetStream(source, blob.Size),
        }, push: true, cancellationToken, replayable: false).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.NoContent or HttpStatusCode.OK)
        {
            return blob.Size;
        }

        var detail = await RemoteFailure.ErrorDetailAsync(response, cancellationToken).ConfigureAwait(false);
        if (detail?.Contains("DIGEST_INVALID", StringComparison.Ordinal) == true || detail?.Contains("SIZE_INVALID", StringComparison.Ordinal) == true)
        {
            throw new EnvshipException(ExitCode.DamagedArchive,
                $"{Location}: the registry refused blob {blob.Digest} ({detail}): the bytes sent are not the ones described; the source changed while pushing.");
        }

        if (MonolithicRefusals.Contains(response.StatusCode))
        {
            return await UploadChunkedAsync(blob, open, session: null, cancellationToken).ConfigureAwait(false);
        }

        throw await RemoteFailure.FromResponseAsync(response, $"upload of blob {blob.Digest} to {Name}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Mounted; or the upload session the registry opened instead; or neither, when it refused the mount (no read
    /// access to <paramref name="from"/>, mounts not supported): then the blob is simply uploaded.
    /// </summary>
    private async Task<(bool Mounted, UploadSession? Session)> TryMountAsync(OciDescriptor blob, string from, CancellationToken cancellationToken)
    {
        var uri = Client.Endpoint($"/v2/{Name}/blobs/uploads/?mount={Uri.EscapeDataString(blob.Digest)}&from={Uri.EscapeDataString(from)}");
        HttpResponseMessage response;
        try
        {
            response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, uri) { Content = Empty() },
                push: true, cancellationToken, extraScopes: [RegistryAuthenticator.RepositoryScope(from, push: false)]).ConfigureAwait(false);
        }
        catch (EnvshipException ex) when (ex.Code == ExitCode.RegistryAuth)
        {
            return (false, null);
        }

        using (response)
        {
            return response.StatusCode switch
            {
                HttpStatusCode.Created => (true, null),
                HttpStatusCode.Accepted => (false, Session(response)),
                _ when (int)response.StatusCode is >= 400 and < 500 => (false, null),
                _ => throw await RemoteFailure.FromResponseAsync(response, $"mount of blob {blob.Digest} from {from} into {Name}", cancellationToken).ConfigureAwait(false),
            };
        }
    }

    private async Task<UploadSession> StartUploadAsync(OciDescriptor blob, CancellationToken cancellationToken)
    {
        var uri = Client.Endpoint($"/v2/{Name}/blobs/uploads/");
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, uri) { Content = Empty() }, push: true, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw await RemoteFailure.FromResponseAsync(response, $"upload of blob {blob.Digest} to {Name}", cancellationToken).ConfigureAwait(false);
        }

        return Session(response);
    }

    private async Task<long> UploadChunkedAsync(OciDescriptor blob, Func<Stream> open, UploadSession? session, CancellationToken cancellationToken)
    {
        session ??= await StartUploadAsync(blob, cancellationToken).ConfigureAwait(false);
        var chunkSize = Math.Max(ChunkSize, session.MinChunk);
        await using var source = open();
        long offset = 0;
        while (offset < blob.Size)
        {
            var length = Math.Min(chunkSize, blob.Size - offset);
            var location = session.Location;
            var start = offset;
            using var response = await SendAsync(() =>
            {
                var content = OctetStream(new SliceStream(source, length), length);
                content.Headers.TryAddWithoutValidation("Content-Range", string.Create(CultureInfo.InvariantCulture, $"{start}-{start + length - 1}"));
                return new HttpRequestMessage(HttpMethod.Patch, location) { Content = content };
            }, push: true, cancellationToken, replayable: false).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                throw await RemoteFailure.FromResponseAsync(response, $"chunk {start}-{start + length - 1} of blob {blob.Digest} for {Name}", cancellationToken).ConfigureAwait(false);
            }

            session = Session(response, session.MinChunk);
            offset += length;
        }

        using var done = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, WithQuery(session.Location, "digest=" + Uri.EscapeDataString(blob.Digest))) { Content = Empty() },
            push: true, cancellationToken, replayable: false).ConfigureAwait(false);
        if (done.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.NoContent or HttpStatusCode.OK))
        {
            throw await RemoteFailure.FromResponseAsync(done, $"end of the chunked upload of blob {blob.Digest} to {Name}", cancellationToken).ConfigureAwait(false);
        }

        return blob.Size;
    }

    private UploadSession Session(HttpResponseMessage response, int minChunk = 0)
    {
        if (response.Headers.Location is not { } location)
        {
            throw new EnvshipException(ExitCode.RemoteUnavailable, $"{Location}: the registry opened an upload without a Location header; it does not follow the distribution spec.");
        }

        var requested = response.RequestMessage!.RequestUri!;
        if (response.Headers.TryGetValues("OCI-Chunk-Min-Length", out var values) && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var min))
        {
            minChunk = min;
        }

        return new UploadSession(location.IsAbsoluteUri ? location : new Uri(requested, location), minChunk);
    }

    private static Uri WithQuery(Uri uri, string parameter)
    {
        var builder = new UriBuilder(uri);
        var existing = builder.Query.TrimStart('?');
        builder.Query = existing.Length == 0 ? parameter : existing + "&" + parameter;
        return builder.Uri;
    }

    private static StreamContent OctetStream(Stream source, long length)
    {
        var content = new StreamContent(source);
        content.Headers.ContentLength = length;
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private static ByteArrayContent Empty() => new([]) { Headers = { ContentLength = 0 } };

    private sealed record UploadSession(Uri Location, int MinChunk);
}
