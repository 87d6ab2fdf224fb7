using System.Buffers;
using Envship.Core.Platform;
using Envship.Core.Hashing;

namespace Envship.Core.Registry.LayeredDeploy;

/// <summary>
/// Blobs fetched from registries and image layouts, by digest: <c>DIR/blobs/sha256/HEX</c>. A blob is
/// written to a temporary file and renamed in only after its size and digest check out, so a killed or
/// failed fetch never leaves a blob that lies about its name. Least recently used blobs go first when
/// the cache grows past its cap.
/// </summary>
public sealed class BlobCache : IDisposable
{
    public const long DefaultCapBytes = 10L << 30;

    /// <summary>A dropped transfer is resumed from where it stopped this many times before the deploy fails.</summary>
    private const int Resumes = 3;

    private readonly bool _temporary;

    private BlobCache(string root, long capBytes, bool temporary)
    {
        Root = root;
        CapBytes = capBytes;
        _temporary = temporary;
        Directory.CreateDirectory(Path.Combine(root, "sha256"));
        Directory.CreateDirectory(Path.Combine(root, "tmp"));
    }

    /// <summary>The <c>blobs</c> directory.</summary>
    public string Root { get; }
    public long CapBytes { get; }

    /// <summary>
    /// The cache under <paramref name="directory"/> (default <c>$XDG_CACHE_HOME/envship</c>, or <c>~/.cache/envship</c>),
    /// or with <paramref name="noCache"/> a private temporary one that <see cref="Dispose"/> removes.
    /// </summary>
    public static BlobCache Open(string? directory, bool noCache, long capBytes = DefaultCapBytes)
    {
        if (noCache)
        {
            var temporary = Path.Combine(Path.GetTempPath(), $"envship-blobs-{Environment.ProcessId}-{Guid.NewGuid():N}");
            return new BlobCache(temporary, long.MaxValue, temporary: true);
        }

        var root = Path.Combine(Path.GetFullPath(directory ?? DefaultDirectory()), "blobs");
        try
        {
            var cache = new BlobCache(root, capBytes, temporary: false);
            cache.RemoveStaleTemporaries();
            return cache;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EnvshipException(ExitCode.IoFailure, $"{root}: cannot use the blob cache ({ex.Message}). Pass --cache-dir DIR on a writable disk, or --no-cache.", ex);
        }
    }

    public static string DefaultDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var baseDirectory = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDirectory, "envship");
    }

    public string PathOf(string digest) => Path.Combine(Root, "sha256", digest["sha256:".Length..]);

    /// <summary>The cached blob's path when one of the right size is there (marked as just used), else null.</summary>
    public string? TryHit(OciDescriptor blob)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var path = PathOf(blob.Digest);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return null;
        }

        if (info.Length != blob.Size)
        {
            File.Delete(path);
            return null;
        }

        File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        return path;
    }

    /// <summary>Hashes a cached blob; one that no longer matches its name is removed, and false returned.</summary>
    public bool Check(OciDescriptor blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var path = PathOf(blob.Digest);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
        {
            if (file.Length == blob.Size && OciDigest.IsValid(blob.Digest)
                && "sha256:" + Sha256.HexOf(file) == blob.Digest)
            {
                return true;
            }
        }

        File.Delete(path);
        return false;
    }

    /// <summary>
    /// Fetches the blob into the cache, resuming a dropped transfer from its offset, and renames it in
    /// once its size and digest check out. <paramref name="what"/> names the blob in errors. Returns its path.
    /// </summary>
    public async Task<string> FetchAsync(IOciSource source, OciDescriptor blob, string what, Action<long>? fetched, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(blob);
        if (!OciDigest.IsValid(blob.Digest) || blob.Size < 0)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{what}: its descriptor has digest '{blob.Digest}' and size {blob.Size}, which no blob can have. The artifact was tampered with; do not deploy it.");
        }

        var final = PathOf(blob.Digest);
        var temporary = Path.Combine(Root, "tmp", $"{blob.Digest["sha256:".Length..]}.{Environment.ProcessId}.{Guid.NewGuid():N}");
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            using var hash = Sha256.CreateHasher();
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                long offset = 0;
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        await using var stream = await source.OpenBlobAsync(blob, offset, cancellationToken).ConfigureAwait(false);
                        int read;
                        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                        {
                            if (offset + read > blob.Size)
                            {
                                throw Mismatch(what, blob, $"it holds more than the {blob.Size} bytes its descriptor declares");
                            }

                            hash.AppendData(buffer, 0, read);
                            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                            offset += read;
                            fetched?.Invoke(read);
                        }

                        break;
                    }
                    catch (Exception ex) when (attempt < Resumes && offset < blob.Size && IsDropped(ex) && !cancellationToken.IsCancellationRequested)
                    {
                        // Resumed below from the bytes already written and hashed.
                    }
                }

                if (offset != blob.Size)
                {
                    throw Mismatch(what, blob, $"it ends after {offset} of {blob.Size} bytes");
                }

                var digest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
                if (digest != blob.Digest)
                {
                    throw Mismatch(what, blob, $"its bytes hash to {digest}");
                }

                file.Flush(flushToDisk: true);
            }

            UnixFileSystem.Rename(temporary, final);
            return final;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            File.Delete(temporary);
        }
    }

    /// <summary>Removes least recently used blobs until the cache fits its cap, keeping <paramref name="keep"/>.</summary>
    public void Trim(IReadOnlySet<string> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        if (_temporary)
        {
            return;
        }

        var blobs = new DirectoryInfo(Path.Combine(Root, "sha256")).GetFiles().OrderBy(f => f.LastWriteTimeUtc).ToList();
        var total = blobs.Sum(f => f.Length);
        foreach (var blob in blobs)
        {
            if (total <= CapBytes)
            {
                break;
            }

            if (!keep.Contains("sha256:" + blob.Name))
            {
                total -= blob.Length;
                blob.Delete();
            }
        }
    }

    public void Dispose()
    {
        if (_temporary && Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    public static EnvshipException Mismatch(string what, OciDescriptor blob, string cause) => new(
        ExitCode.DamagedArchive,
        $"{what} ({blob.Digest}) does not match its digest: {cause}. The copy in the registry or layout is damaged or was tampered with; nothing was written to the destination and nothing was cached. Push the environment again.");

    private static bool IsDropped(Exception ex) =>
        ex is IOException or HttpRequestException || (ex is EnvshipException e && e.Code == ExitCode.RemoteUnavailable);

    /// <summary>Temporaries of fetches that were killed: a day old is old enough that no live fetch owns them.</summary>
    private void RemoveStaleTemporaries()
    {
        foreach (var stale in new DirectoryInfo(Path.Combine(Root, "tmp")).GetFiles().Where(f => f.LastWriteTimeUtc < DateTime.UtcNow.AddDays(-1)))
        {
            stale.Delete();
        }
    }
}
