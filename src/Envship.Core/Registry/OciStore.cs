namespace Envship.Core.Registry;

/// <summary>A manifest as a store returned it: its exact bytes (digests are over these), media type and digest.</summary>
public sealed record OciManifestBytes(byte[] Content, string MediaType, string Digest);

/// <summary>
/// Where environments are read from: a registry repository (<c>oci://</c>) or an OCI image layout
/// directory (<c>oci-layout:</c>). Implementations check nothing but transport: callers verify every
/// digest, so a store never has to be trusted.
/// </summary>
public interface IOciSource
{
    /// <summary>How messages name the store, e.g. <c>oci://127.0.0.1:5000/team/env</c>.</summary>
    string Location { get; }

    /// <summary>The manifest a tag or a <c>sha256:</c> digest names. Missing: <see cref="ExitCode.RemoteNotFound"/>.</summary>
    Task<OciManifestBytes> GetManifestAsync(string reference, CancellationToken cancellationToken);

    /// <summary>The blob's bytes from <paramref name="offset"/> on (for resuming); the caller checks the digest.</summary>
    Task<Stream> OpenBlobAsync(OciDescriptor blob, long offset, CancellationToken cancellationToken);

    /// <summary>Manifests whose <c>subject</c> is <paramref name="subjectDigest"/>, optionally of one artifact type (the referrers API, or the <c>sha256-HEX</c> tag schema).</summary>
    Task<IReadOnlyList<OciDescriptor>> GetReferrersAsync(string subjectDigest, string? artifactType, CancellationToken cancellationToken);
}

/// <summary>Where environments are written: a registry repository or an OCI image layout directory.</summary>
public interface IOciTarget
{
    string Location { get; }

    Task<bool> HasBlobAsync(OciDescriptor blob, CancellationToken cancellationToken);

    /// <summary>Stores a blob the target lacks; <paramref name="open"/> may be called again to retry. Returns the bytes sent (0 when mounted from another repository).</summary>
    Task<long> PushBlobAsync(OciDescriptor blob, Func<Stream> open, CancellationToken cancellationToken);

    /// <summary>Stores a manifest under <paramref name="reference"/> (a tag, or its own digest). A manifest with a <c>subject</c> is also made findable as a referrer.</summary>
    Task PushManifestAsync(string reference, OciManifestBytes manifest, CancellationToken cancellationToken);
}
