using System.Text;
using System.Text.Json;

namespace Envship.Core.Registry.Layout;

/// <summary>
/// An OCI image layout directory (image-spec v1.1): the <c>oci-layout</c> file, <c>index.json</c>
/// whose entries carry their tag in <c>org.opencontainers.image.ref.name</c>, and <c>blobs/sha256/HEX</c>.
/// Referrers are found by scanning the manifests <c>index.json</c> lists, and every manifest pushed is
/// listed there. Each file is written under a temporary name and renamed into place.
/// </summary>
public sealed class OciLayoutStore : IOciSource, IOciTarget
{
    private const string LayoutFile = "oci-layout";
    private const string IndexFile = "index.json";
    private static readonly byte[] LayoutContent = Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}");
    private readonly Lock _indexGate = new();

    private OciLayoutStore(string directory) => Directory = directory;

    public string Directory { get; }
    public string Location => OciLayoutReference.Scheme + Directory;

    /// <summary>Opens an existing layout; a directory without an <c>oci-layout</c> file is refused.</summary>
    public static OciLayoutStore Open(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (!File.Exists(Path.Combine(full, LayoutFile)))
        {
            throw new EnvshipException(ExitCode.RemoteNotFound, $"{full}: not an OCI image layout (no oci-layout file). Pass a directory written by 'envship push oci-layout:DIR', 'envship pull --oci-layout' or 'skopeo copy … oci:DIR:TAG'.");
        }

        return new OciLayoutStore(full);
    }

    /// <summary>Opens a layout, creating it (empty) when the directory is missing or empty.</summary>
    public static OciLayoutStore OpenOrCreate(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (File.Exists(Path.Combine(full, LayoutFile)))
        {
            return new OciLayoutStore(full);
        }

        if (System.IO.Directory.Exists(full) && System.IO.Directory.EnumerateFileSystemEntries(full).Any())
        {
            throw new EnvshipException(ExitCode.DestinationExists, $"{full}: the directory is not empty and is not an OCI image layout. Choose an empty or new directory.");
        }

        System.IO.Directory.CreateDirectory(Path.Combine(full, "blobs", "sha256"));
        var store = new OciLayoutStore(full);
        WriteAtomically(Path.Combine(full, LayoutFile), LayoutContent);
        WriteAtomically(Path.Combine(full, IndexFile), new OciImageIndex().ToJson());
        return store;
    }

    public string BlobPath(string digest)
    {
        if (!OciDigest.IsValid(digest))
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{Location}: '{digest}' is not a sha256 digest; the layout or the manifest naming it is damaged.");
        }

        return Path.Combine(Directory, "blobs", "sha256", digest["sha256:".Length..]);
    }

    public async Task<OciManifestBytes> GetManifestAsync(string reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        var descriptor = OciDigest.IsValid(reference)
            ? index.Manifests.FirstOrDefault(m => m.Digest == reference) ?? (File.Exists(BlobPath(reference)) ? new OciDescriptor { MediaType = OciMediaTypes.ImageManifest, Digest = reference, Size = new FileInfo(BlobPath(reference)).Length } : null)
            : index.Manifests.LastOrDefault(m => m.Annotations?.GetValueOrDefault(OciAnnotations.RefName) == reference);
        if (descriptor is null)
        {
            throw new EnvshipException(ExitCode.RemoteNotFound, $"{Location}: no manifest '{reference}' in this layout (index.json does not list it). Check the tag, or push it first.");
        }

        var path = BlobPath(descriptor.Digest);
        if (!File.Exists(path))
        {
            throw new EnvshipException(ExitCode.RemoteNotFound, $"{Location}: index.json lists '{reference}' as {descriptor.Digest}, but its blob is missing. Copy the layout again.");
        }

        var content = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        return new OciManifestBytes(content, descriptor.MediaType, descriptor.Digest);
    }

    public Task<Stream> OpenBlobAsync(OciDescriptor blob, long offset, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var path = BlobPath(blob.Digest);
        if (!File.Exists(path))
        {
            throw new EnvshipException(ExitCode.RemoteNotFound, $"{Location}: blob {blob.Digest} is missing from the layout. Copy the layout again.");
        }

        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan) { Position = offset };
        return Task.FromResult<Stream>(stream);
    }

    public async Task<IReadOnlyList<OciDescriptor>> GetReferrersAsync(string subjectDigest, string? artifactType, CancellationToken cancellationToken)
    {
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<OciDescriptor>();
        foreach (var entry in index.Manifests.Where(m => m.MediaType == OciMediaTypes.ImageManifest).DistinctBy(m => m.Digest))
        {
            var path = BlobPath(entry.Digest);
            if (!File.Exists(path))
            {
                continue;
            }

            OciImageManifest manifest;
            try
            {
                manifest = OciImageManifest.Parse(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false));
            }
            catch (JsonException)
            {
                continue;
            }

            var type = manifest.ArtifactType ?? manifest.Config.MediaType;
            if (manifest.Subject?.Digest == subjectDigest && (artifactType is null || type == artifactType))
            {
                result.Add(new OciDescriptor { MediaType = entry.MediaType, Digest = entry.Digest, Size = entry.Size, ArtifactType = type, Annotations = manifest.Annotations });
            }
        }

        return result;
    }

    public Task<bool> HasBlobAsync(OciDescriptor blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var file = new FileInfo(BlobPath(blob.Digest));
        return Task.FromResult(file.Exists && file.Length == blob.Size);
    }

    public async Task<long> PushBlobAsync(OciDescriptor blob, Func<Stream> open, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(open);
        var path = BlobPath(blob.Digest);
        var temporary = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            long written;
            string digest;
            using (var source = open())
            using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var hashing = new Artifact.LayerWriter.HashingWriteStream(output))
            {
                await source.CopyToAsync(hashing, 1 << 20, cancellationToken).ConfigureAwait(false);
                hashing.Flush();
                output.Flush(flushToDisk: true);
                written = hashing.BytesWritten;
                digest = "sha256:" + hashing.HashHex();
            }

            if (digest != blob.Digest || written != blob.Size)
            {
                throw new EnvshipException(ExitCode.DamagedArchive, $"{Location}: the bytes given for blob {blob.Digest} ({blob.Size} bytes) have digest {digest} and {written} bytes; nothing was stored. The source changed while it was copied; try again.");
            }

            File.Move(temporary, path, overwrite: true);
            return written;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public async Task PushManifestAsync(string reference, OciManifestBytes manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(manifest);
        var digest = OciDigest.Of(manifest.Content);
        if (digest != manifest.Digest || (OciDigest.IsValid(reference) && reference != digest))
        {
            throw new EnvshipException(ExitCode.Unexpected, $"{Location}: manifest digest {manifest.Digest} does not match its bytes ({digest}) or the reference '{reference}'.");
        }

        var descriptor = new OciDescriptor { MediaType = manifest.MediaType, Digest = digest, Size = manifest.Content.Length, ArtifactType = ArtifactTypeOf(manifest) };
        await PushBlobAsync(descriptor, () => new MemoryStream(manifest.Content, writable: false), cancellationToken).ConfigureAwait(false);
        lock (_indexGate)
        {
            var index = ReadIndex();
            var entries = index.Manifests.ToList();
            if (OciDigest.IsValid(reference))
            {
                if (entries.Any(e => e.Digest == digest))
                {
                    return;
                }

                entries.Add(descriptor);
            }
            else
            {
                entries.RemoveAll(e => e.Annotations?.GetValueOrDefault(OciAnnotations.RefName) == reference);
                entries.Add(descriptor with { Annotations = new Dictionary<string, string>(StringComparer.Ordinal) { [OciAnnotations.RefName] = reference } });
            }

            WriteAtomically(Path.Combine(Directory, IndexFile), (index with { Manifests = entries }).ToJson());
        }
    }

    /// <summary>The tags <c>index.json</c> lists for <paramref name="digest"/>.</summary>
    public async Task<IReadOnlyList<string>> TagsOfAsync(string digest, CancellationToken cancellationToken)
    {
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        return [.. index.Manifests.Where(m => m.Digest == digest).Select(m => m.Annotations?.GetValueOrDefault(OciAnnotations.RefName)).OfType<string>()];
    }

    private static string? ArtifactTypeOf(OciManifestBytes manifest)
    {
        if (manifest.MediaType != OciMediaTypes.ImageManifest)
        {
            return null;
        }

        try
        {
            return OciImageManifest.Parse(manifest.Content).ArtifactType;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private Task<OciImageIndex> ReadIndexAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(ReadIndex());
    }

    private OciImageIndex ReadIndex()
    {
        var path = Path.Combine(Directory, IndexFile);
        try
        {
            return OciImageIndex.Parse(File.ReadAllBytes(path));
        }
        catch (FileNotFoundException ex)
        {
            throw new EnvshipException(ExitCode.RemoteNotFound, $"{path}: missing, so this is not a complete OCI image layout. Copy the layout again.", ex);
        }
        catch (JsonException ex)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: not a valid image index ({ex.Message}). Copy the layout again.", ex);
        }
    }

    private static void WriteAtomically(string path, byte[] content)
    {
        var temporary = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
