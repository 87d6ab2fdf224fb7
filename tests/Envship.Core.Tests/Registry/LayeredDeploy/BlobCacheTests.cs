using Envship.Core;
using Envship.Core.Registry;
using Envship.Core.Registry.LayeredDeploy;
using Envship.Testing;
using Envship.Testing.Registry;

namespace Envship.Core.Tests.Registry.LayeredDeploy;

public sealed class BlobCacheTests
{
    [Fact]
    public async Task A_transfer_dropped_midway_is_resumed_from_its_offset_and_the_blob_renamed_in()
    {
        using var work = new TempDirectory("envship-blobcache-");
        var content = TestArtifacts.RandomBytes(3 << 20, seed: 7);
        var blob = TestArtifacts.Describe(content, OciMediaTypes.Layer);
        var source = new DroppingSource(content, dropAfter: 1 << 20);
        using var cache = BlobCache.Open(work.Path, noCache: false);
        long counted = 0;

        var path = await cache.FetchAsync(source, blob, "layer 'conda:x'", n => counted += n, CancellationToken.None);

        Assert.Equal([0L, 1L << 20], source.Offsets);
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
        Assert.Equal(cache.PathOf(blob.Digest), path);
        Assert.Equal(content.Length, counted);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(cache.Root, "tmp")));
    }

    [Fact]
    public async Task A_blob_that_does_not_match_its_digest_fails_naming_it_and_leaves_nothing_in_the_cache()
    {
        using var work = new TempDirectory("envship-blobcache-");
        var content = TestArtifacts.RandomBytes(1 << 20, seed: 8);
        var blob = TestArtifacts.Describe(content, OciMediaTypes.Layer);
        var damaged = (byte[])content.Clone();
        damaged[12345] ^= 1;
        using var cache = BlobCache.Open(work.Path, noCache: false);

        var failure = await Assert.ThrowsAsync<EnvshipException>(() => cache.FetchAsync(new DroppingSource(damaged, dropAfter: int.MaxValue), blob, "layer 'conda:x'", null, CancellationToken.None));

        Assert.Equal(ExitCode.DamagedArchive, failure.Code);
        Assert.Contains("layer 'conda:x'", failure.Message, StringComparison.Ordinal);
        Assert.Contains(blob.Digest, failure.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(cache.PathOf(blob.Digest)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(cache.Root, "tmp")));
    }

    [Fact]
    public void No_cache_is_a_temporary_directory_removed_on_dispose()
    {
        string root;
        using (var cache = BlobCache.Open(null, noCache: true))
        {
            root = cache.Root;
            Assert.True(Directory.Exists(Path.Combine(root, "sha256")));
        }

        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public void Trim_evicts_least_recently_used_blobs_beyond_the_cap_but_keeps_those_asked_for()
    {
        using var work = new TempDirectory("envship-blobcache-");
        using var cache = BlobCache.Open(work.Path, noCache: false, capBytes: 250);
        var names = new[] { "old", "middle", "kept", "new" }.Select((n, i) => (Name: new string((char)('a' + i), 64), Age: 4 - i)).ToList();
        foreach (var (name, age) in names)
        {
            var path = Path.Combine(cache.Root, "sha256", name);
            File.WriteAllBytes(path, new byte[100]);
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-age));
        }

        // Oldest first: "a" goes, "b" goes; "c" is kept although older than "d" because it is asked for.
        cache.Trim(new HashSet<string>(["sha256:" + names[2].Name], StringComparer.Ordinal));

        Assert.Equal([names[2].Name, names[3].Name], Directory.EnumerateFiles(Path.Combine(cache.Root, "sha256")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    /// <summary>Serves a blob; the first read from offset 0 drops the connection after <c>dropAfter</c> bytes.</summary>
    private sealed class DroppingSource(byte[] content, int dropAfter) : IOciSource
    {
        public List<long> Offsets { get; } = [];
        public string Location => "test-source";

        public Task<OciManifestBytes> GetManifestAsync(string reference, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<OciDescriptor>> GetReferrersAsync(string subjectDigest, string? artifactType, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<Stream> OpenBlobAsync(OciDescriptor blob, long offset, CancellationToken cancellationToken)
        {
            Offsets.Add(offset);
            var rest = new MemoryStream(content, (int)offset, content.Length - (int)offset, writable: false);
            return Task.FromResult<Stream>(Offsets.Count == 1 && dropAfter < content.Length ? new DroppingStream(rest, dropAfter) : rest);
        }
    }

    private sealed class DroppingStream(Stream inner, int dropAfter) : Stream
    {
        private int _read;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_read >= dropAfter)
            {
                throw new IOException("connection reset by peer");
            }

            var read = inner.Read(buffer, offset, Math.Min(count, dropAfter - _read));
            _read += read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
