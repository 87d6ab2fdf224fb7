using System.Net;
using System.Text.Json;

namespace Envship.Core.Registry;

public sealed partial class RegistryRepository
{
    /// <summary>Referrer pages followed at most; a registry that links further is looping.</summary>
    private const int MaxReferrerPages = 100;

    public async Task<IReadOnlyList<OciDescriptor>> GetReferrersAsync(string subjectDigest, string? artifactType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subjectDigest);
        if (!OciDigest.IsValid(subjectDigest))
        {
            throw new ArgumentException($"'{subjectDigest}' is not a sha256 digest", nameof(subjectDigest));
        }

        var found = new List<OciDescriptor>();
        var query = artifactType is null ? "" : "?artifactType=" + Uri.EscapeDataString(artifactType);
        var next = Client.Endpoint($"/v2/{Name}/referrers/{subjectDigest}{query}");
        for (var page = 0; next is not null && page < MaxReferrerPages; page++)
        {
            var uri = next;
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, uri) { Headers = { { "Accept", OciMediaTypes.ImageIndex } } },
                push: false, cancellationToken, completion: HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound && page == 0)
            {
                // No referrers API (distribution 2.8): the tag schema.
                return await ReferrersFromTagAsync(subjectDigest, artifactType, cancellationToken).ConfigureAwait(false);
            }

            if (!response.IsSuccessStatusCode)
            {
                throw await Transport.RemoteFailure.FromResponseAsync(response, $"referrers of {subjectDigest} in {Name}", cancellationToken).ConfigureAwait(false);
            }

            var index = ParseIndex(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false), $"the referrers of {subjectDigest}");
            found.AddRange(index.Manifests);
            next = NextLink(response, uri);
        }

        return Filter(found, artifactType);
    }

    private async Task<IReadOnlyList<OciDescriptor>> ReferrersFromTagAsync(string subjectDigest, string? artifactType, CancellationToken cancellationToken)
    {
        var index = await ReadReferrersTagAsync(subjectDigest, cancellationToken).ConfigureAwait(false);
        return index is null ? [] : Filter(index.Manifests, artifactType);
    }

    private async Task<OciImageIndex?> ReadReferrersTagAsync(string subjectDigest, CancellationToken cancellationToken)
    {
        var tag = OciDigest.ReferrersTag(subjectDigest);
        try
        {
            var manifest = await GetManifestAsync(tag, cancellationToken).ConfigureAwait(false);
            return ParseIndex(manifest.Content, $"the referrers tag {tag}");
        }
        catch (EnvshipException ex) when (ex.Code == ExitCode.RemoteNotFound)
        {
            return null;
        }
    }

    /// <summary>The tag schema's side of a push: the subject's <c>sha256-HEX</c> index gains this manifest (a race with another writer can lose an entry, as the spec accepts).</summary>
    private async Task AddToReferrersTagAsync(ManifestFacts facts, OciManifestBytes manifest, CancellationToken cancellationToken)
    {
        var subject = facts.SubjectDigest!;
        if (!OciDigest.IsValid(subject))
        {
            return;
        }

        var existing = await ReadReferrersTagAsync(subject, cancellationToken).ConfigureAwait(false) ?? new OciImageIndex();
        if (existing.Manifests.Any(m => m.Digest == manifest.Digest))
        {
            return;
        }

        var entry = new OciDescriptor
        {
            MediaType = manifest.MediaType,
            Digest = manifest.Digest,
            Size = manifest.Content.Length,
            ArtifactType = facts.ArtifactType ?? facts.ConfigMediaType,
            Annotations = facts.Annotations,
        };
        var updated = existing with { MediaType = OciMediaTypes.ImageIndex, Manifests = [.. existing.Manifests, entry] };
        var bytes = updated.ToJson();
        await PushManifestAsync(OciDigest.ReferrersTag(subject), new OciManifestBytes(bytes, OciMediaTypes.ImageIndex, OciDigest.Of(bytes)), cancellationToken).ConfigureAwait(false);
    }

    private OciImageIndex ParseIndex(byte[] content, string what)
    {
        try
        {
            return OciImageIndex.Parse(content);
        }
        catch (JsonException ex)
        {
            throw new EnvshipException(ExitCode.RemoteUnavailable, $"{Location}: {what} is not an OCI image index ({ex.Message}).", ex);
        }
    }

    private static List<OciDescriptor> Filter(IEnumerable<OciDescriptor> descriptors, string? artifactType) =>
        descriptors.Where(d => artifactType is null || d.ArtifactType == artifactType).ToList();

    /// <summary>The <c>Link: &lt;URL&gt;; rel="next"</c> of a paginated answer.</summary>
    private static Uri? NextLink(HttpResponseMessage response, Uri current)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        foreach (var link in links.SelectMany(l => l.Split(',')))
        {
            var open = link.IndexOf('<', StringComparison.Ordinal);
            var close = link.IndexOf('>', StringComparison.Ordinal);
            if (open >= 0 && close > open && link.Contains("rel=\"next\"", StringComparison.OrdinalIgnoreCase))
            {
                return new Uri(current, link[(open + 1)..close]);
            }
        }

        return null;
    }
}
