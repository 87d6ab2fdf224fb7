using Envship.Core.Registry;
using Envship.Core.Registry.Transport;
using Envship.Testing;
using Envship.Testing.Registry;

namespace Envship.Core.Tests.Registry;

/// <summary>The distribution client against Debian's docker-registry 2.8: blobs, mounts, chunks, ranges, manifests.</summary>
public sealed class RegistryRepositoryTests
{
    private static RegistryRepository Open(RegistryServer registry, string repository) =>
        RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/{repository}:v1"), RemoteOptions.Default);

    [Fact]
    public async Task A_pushed_blob_is_found_by_HEAD_and_read_back_whole_and_from_an_offset()
    {
        using var registry = RegistryServer.StartAnonymous();
        using var repository = Open(registry, "team/env");
        var content = TestArtifacts.RandomBytes(300_000, 1);
        var blob = TestArtifacts.Describe(content, OciMediaTypes.Layer);

        Assert.False(await repository.HasBlobAsync(blob, CancellationToken.None));
        var sent = await repository.PushBlobAsync(blob, () => new MemoryStream(content), CancellationToken.None);
        Assert.Equal(content.Length, sent);
        Assert.True(await repository.HasBlobAsync(blob, CancellationToken.None));
        Assert.True(File.Exists(registry.BlobDataPath(blob.Digest)));

        Assert.Equal(content, await ReadAll(await repository.OpenBlobAsync(blob, 0, CancellationToken.None)));
        Assert.Equal(content[123_456..], await ReadAll(await repository.OpenBlobAsync(blob, 123_456, CancellationToken.None)));
        Assert.Empty(await ReadAll(await repository.OpenBlobAsync(blob, content.Length, CancellationToken.None)));
    }

    [Fact]
    public async Task A_server_that_ignores_Range_is_read_from_the_start_and_the_offset_skipped()
    {
        var content = TestArtifacts.RandomBytes(70_000, 12);
        var blob = TestArtifacts.Describe(content, OciMediaTypes.Layer);
        using var server = new LoopbackHttpServer(_ => new LoopbackResponse(200, content));
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://127.0.0.1:{server.Port}/team/env:v1"), RemoteOptions.Default);

        var tail = await ReadAll(await repository.OpenBlobAsync(blob, 65_000, CancellationToken.None));

        Assert.Equal(content[65_000..], tail);
        Assert.Equal("bytes=65000-", Assert.Single(server.Requests).Header("Range"));
    }

    [Fact]
    public async Task A_transfer_cut_mid_blob_is_remote_unavailable_naming_the_host_and_the_offset()
    {
        var content = TestArtifacts.RandomBytes(40_000, 13);
        var blob = TestArtifacts.Describe(content, OciMediaTypes.Layer);
        using var server = new LoopbackHttpServer(_ => new LoopbackResponse(200, content[..10_000]) { AnnouncedLength = content.Length });
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://127.0.0.1:{server.Port}/team/env:v1"), RemoteOptions.Default);

        var dropped = await Assert.ThrowsAsync<EnvshipException>(async () => await ReadAll(await repository.OpenBlobAsync(blob, 0, CancellationToken.None)));

        Assert.Equal(ExitCode.RemoteUnavailable, dropped.Code);
        Assert.Contains($"127.0.0.1:{server.Port} dropped after 10000 bytes", dropped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_transfer_that_stalls_is_remote_unavailable_instead_of_hanging()
    {
        var content = TestArtifacts.RandomBytes(40_000, 14);
        var blob = TestArtifacts.Describe(content, OciMediaTypes.Layer);
        using var server = new LoopbackHttpServer(_ => new LoopbackResponse(200, content[..5_000]) { AnnouncedLength = content.Length, Stall = true });
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://127.0.0.1:{server.Port}/team/env:v1"), new RemoteOptions { StallTimeout = TimeSpan.FromMilliseconds(300) });

        var stalled = await Assert.ThrowsAsync<EnvshipException>(async () => await ReadAll(await repository.OpenBlobAsync(blob, 0, CancellationToken.None)));

        Assert.Equal(ExitCode.RemoteUnavailable, stalled.Code);
        Assert.Contains("stalled", stalled.Message, StringComparison.Ordinal);
        Assert.Contains("after 5000 bytes", stalled.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_blob_in_another_repository_is_mounted_without_sending_its_bytes()
    {
        using var registry = RegistryServer.StartAnonymous();
        using var first = Open(registry, "team/env");
        using var second = Open(registry, "team/other-env");
        var content = TestArtifacts.RandomBytes(50_000, 2);
        var blob = TestArtifacts.Describe(content, OciMediaTypes.Layer);
        await first.PushBlobAsync(blob, () => new MemoryStream(content), CancellationToken.None);

        var opened = 0;
        var sent = await second.PushBlobAsync(blob, () => { opened++; return new MemoryStream(content); }, ["team/env"], CancellationToken.None);

        Assert.Equal(0, sent);
        Assert.Equal(0, opened);
        Assert.True(await second.HasBlobAsync(blob, CancellationToken.None));
    }

    [Fact]
    public async Task A_mount_from_a_repository_without_the_blob_falls_back_to_an_upload()
    {
        using var registry = RegistryServer.StartAnonymous();
        using var repository = Open(registry, "team/env");
        var content = TestArtifacts.RandomBytes(10_000, 3);
        var blob = TestArtifacts.Describe(content, OciMediaTypes.Layer);

        var sent = await repository.PushBlobAsync(blob, () => new MemoryStream(content), ["team/nowhere"], CancellationToken.None);

        Assert.Equal(content.Length, sent);
        Assert.Equal(content, await ReadAll(await repository.OpenBlobAsync(blob, 0, CancellationToken.None)));
    }

    [Fact]
    public async Task A_blob_above_the_threshold_goes_up_in_chunks_that_the_registry_joins()
    {
        using var registry = RegistryServer.StartAnonymous();
        using var repository = Open(registry, "team/env");
        repository.ChunkThreshold = 10_000;
        repository.ChunkSize = 4_096;
        var content = TestArtifacts.RandomBytes(25_000, 4);
        var blob = TestArtifacts.Describe(content, OciMediaTypes.Layer);

        var sent = await repository.PushBlobAsync(blob, () => new MemoryStream(content), CancellationToken.None);

        Assert.Equal(content.Length, sent);
        Assert.Equal(content, await ReadAll(await repository.OpenBlobAsync(blob, 0, CancellationToken.None)));
    }

    [Fact]
    public async Task A_refused_single_put_falls_back_to_a_chunked_upload()
    {
        using var registry = RegistryServer.StartAnonymous();
        using var proxy = new RefusingProxy(registry, request => request.Method == "PUT" && request.Body.Length > 0 && request.Target.Contains("/blobs/uploads/", StringComparison.Ordinal)
            ? LoopbackResponse.Text(413, "request body too large")
            : null);
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://{proxy.Host}/team/env:v1"), RemoteOptions.Default);
        repository.ChunkSize = 8_192;
        var content = TestArtifacts.RandomBytes(20_000, 9);
        var blob = TestArtifacts.Describe(content, OciMediaTypes.Layer);

        var sent = await repository.PushBlobAsync(blob, () => new MemoryStream(content), CancellationToken.None);

        Assert.Equal(content.Length, sent);
        Assert.Equal(3, proxy.Requests.Count(r => r.Method == "PATCH"));
        Assert.Contains(proxy.Requests, r => r.Method == "PATCH" && r.Header("Content-Range") == "16384-19999");
        Assert.Equal(content, await ReadAll(await repository.OpenBlobAsync(blob, 0, CancellationToken.None)));
    }

    [Fact]
    public async Task A_manifest_pushed_by_tag_reads_back_byte_for_byte_by_tag_and_by_digest()
    {
        using var registry = RegistryServer.StartAnonymous();
        using var repository = Open(registry, "team/env");
        var manifest = await PushEnvironment(repository, 5);

        var byTag = await repository.GetManifestAsync("v1", CancellationToken.None);
        var byDigest = await repository.GetManifestAsync(manifest.Digest, CancellationToken.None);
        var resolved = await repository.ResolveManifestAsync("v1", CancellationToken.None);

        Assert.Equal(manifest.Content, byTag.Content);
        Assert.Equal(manifest.Digest, byTag.Digest);
        Assert.Equal(OciMediaTypes.ImageManifest, byTag.MediaType);
        Assert.Equal(manifest.Content, byDigest.Content);
        Assert.Equal(manifest.Digest, resolved!.Digest);
        Assert.Equal(manifest.Content.Length, resolved.Size);
        Assert.Null(await repository.ResolveManifestAsync("v2", CancellationToken.None));
    }

    [Fact]
    public async Task A_missing_tag_is_remote_not_found_naming_it()
    {
        using var registry = RegistryServer.StartAnonymous();
        using var repository = Open(registry, "team/env");
        await PushEnvironment(repository, 6);

        var missing = await Assert.ThrowsAsync<EnvshipException>(() => repository.GetManifestAsync("no-such-tag", CancellationToken.None));

        Assert.Equal(ExitCode.RemoteNotFound, missing.Code);
        Assert.Contains("no-such-tag", missing.Message, StringComparison.Ordinal);
        Assert.Contains(registry.Host, missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_manifest_changed_in_the_registrys_storage_is_refused_when_fetched_by_digest()
    {
        using var registry = RegistryServer.StartAnonymous();
        using var repository = Open(registry, "team/env");
        var manifest = await PushEnvironment(repository, 7);
        var stored = registry.BlobDataPath(manifest.Digest);
        var bytes = File.ReadAllBytes(stored);
        // Still valid JSON, so the registry serves it: only the digest can tell.
        bytes[^4] = (byte)'X';
        File.WriteAllBytes(stored, bytes);

        var refused = await Assert.ThrowsAsync<EnvshipException>(() => repository.GetManifestAsync(manifest.Digest, CancellationToken.None));

        Assert.True(refused.Code == ExitCode.DamagedArchive, refused.Message);
        Assert.Contains(manifest.Digest, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Skopeo_reads_a_manifest_pushed_by_envship()
    {
        using var registry = RegistryServer.StartAnonymous();
        using var repository = Open(registry, "team/env");
        var manifest = await PushEnvironment(repository, 8);

        var skopeo = ProcessRunner.Run("skopeo", ["inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/team/env:v1"]);

        Assert.True(skopeo.ExitCode == 0, skopeo.StdErr);
        // skopeo ends its output with a newline of its own.
        Assert.Equal(manifest.Content, System.Text.Encoding.UTF8.GetBytes(skopeo.StdOut.TrimEnd('\n')));
    }

    internal static async Task<OciManifestBytes> PushEnvironment(RegistryRepository repository, int seed, string tag = "v1")
    {
        var configBytes = TestArtifacts.RandomBytes(500, seed);
        var layerBytes = TestArtifacts.RandomBytes(20_000, seed + 1000);
        var config = TestArtifacts.Describe(configBytes, OciMediaTypes.ManifestConfig);
        var layer = TestArtifacts.Describe(layerBytes, OciMediaTypes.Layer);
        await repository.PushBlobAsync(config, () => new MemoryStream(configBytes), CancellationToken.None);
        await repository.PushBlobAsync(layer, () => new MemoryStream(layerBytes), CancellationToken.None);
        var manifest = TestArtifacts.Manifest(config, [layer]);
        await repository.PushManifestAsync(tag, manifest, CancellationToken.None);
        return manifest;
    }

    internal static async Task<byte[]> ReadAll(Stream stream)
    {
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }
}
