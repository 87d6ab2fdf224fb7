using Envship.Core.Registry;
using Envship.Core.Registry.LayeredDeploy;
using Envship.Core.Registry.Transport;
using Envship.Testing;
using Envship.Testing.Registry;

namespace Envship.Core.Tests.Registry.LayeredDeploy;

/// <summary>The blob cache: resumed transfers, verified renames, least-recently-used trimming.</summary>
public sealed class BlobCacheTests
{
    [Fact]
    public async Task A_transfer_cut_mid_blob_is_resumed_from_its_offset_and_the_blob_lands_whole()
    {
        var content = TestArtifacts.RandomBytes(300_000, 21);
        var blob = TestArtifacts.Describe(content, OciMediaTypes.Layer);
        using var server = new LoopbackHttpServer(request => request.Header("Range") is { } range
            ? Partial(content, long.Parse(range["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture))
            : new LoopbackResponse(200, content[..100_000]) { AnnouncedLength = content.Length });
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://127.0.0.1:{server.Port}/team/env:v1"), RemoteOptions.Default);
        using var work = new TempDirectory();
        using var cache = BlobCache.Open(work.Path, noCache: false);

        var path = await cache.FetchAsync(repository, blob, "layer 'test'", null, CancellationToken.None);

        Assert.Equal(content, await File.ReadAllBytesAsync(path));
        Assert.Equal(cache.PathOf(blob.Digest), path);
        Assert.Equal([null, "bytes=100000-"], server.Requests.Select(r => r.Header("Range")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(cache.Root, "tmp")));
    }

    [Fact]
    public async Task A_blob_whose_bytes_do_not_match_its_digest_is_refused_naming_it_and_never_cached()
    {
        var content = TestArtifacts.RandomBytes(50_000, 22);
        var blob = TestArtifacts.Describe(content, OciMediaTypes.Layer);
        var damaged = (byte[])content.Clone();
        damaged[25_000] ^= 1;
        using var server = new LoopbackHttpServer(_ => new LoopbackResponse(200, damaged));
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://127.0.0.1:{server.Port}/team/env:v1"), RemoteOptions.Default);
        using var work = new TempDirectory();
        using var cache = BlobCache.Open(work.Path, noCache: false);

        var refused = await Assert.ThrowsAsync<EnvshipException>(() => cache.FetchAsync(repository, blob, "layer 'conda:x-1-0'", null, CancellationToken.None));

        Assert.Equal(ExitCode.DamagedArchive, refused.Code);
        Assert.Contains("layer 'conda:x-1-0'", refused.Message, StringComparison.Ordinal);
        Assert.Contains(blob.Digest, refused.Message, StringComparison.Ordinal);
        Assert.Null(cache.TryHit(blob));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(cache.Root, "tmp")));
    }

    [Fact]
    public void Trimming_removes_the_least_recently_used_blobs_first_and_keeps_the_ones_in_use()
    {
        using var work = new TempDirectory();
        using var cache = BlobCache.Open(work.Path, noCache: false, capBytes: 250);
        var blobs = Enumerable.Range(0, 4).Select(i => TestArtifacts.RandomBytes(100, 30 + i)).Select(b => (Bytes: b, Blob: TestArtifacts.Describe(b, OciMediaTypes.Layer))).ToList();
        for (var i = 0; i < blobs.Count; i++)
        {
            File.WriteAllBytes(cache.PathOf(blobs[i].Blob.Digest), blobs[i].Bytes);
            File.SetLastWriteTimeUtc(cache.PathOf(blobs[i].Blob.Digest), DateTime.UtcNow.AddHours(-10 + i));
        }

        // Blob 0 is the oldest but in use; blob 1 is used now, which makes it the newest.
        Assert.NotNull(cache.TryHit(blobs[1].Blob));
        cache.Trim(new HashSet<string>([blobs[0].Blob.Digest], StringComparer.Ordinal));

        Assert.Equal([true, true, false, false], blobs.Select(b => File.Exists(cache.PathOf(b.Blob.Digest))));
    }

    [Fact]
    public void No_cache_is_a_private_directory_removed_on_dispose()
    {
        string root;
        using (var cache = BlobCache.Open(null, noCache: true))
        {
            root = cache.Root;
            Assert.True(Directory.Exists(root));
        }

        Assert.False(Directory.Exists(root));
    }

    private static LoopbackResponse Partial(byte[] content, long offset) => new(
        206,
        content[(int)offset..],
        new Dictionary<string, string> { ["Content-Range"] = $"bytes {offset}-{content.Length - 1}/{content.Length}" });
}
