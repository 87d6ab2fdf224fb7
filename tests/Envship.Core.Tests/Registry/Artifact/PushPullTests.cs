using Envship.Core.Archive;
using Envship.Core.Registry;
using Envship.Core.Registry.Artifact;
using Envship.Core.Registry.Layout;
using Envship.Core.Registry.Pull;
using Envship.Core.Registry.Push;
using Envship.Core.Registry.Transport;
using Envship.Core.Trust;
using Envship.Testing;
using Envship.Testing.Registry;

namespace Envship.Core.Tests.Registry.Artifact;

/// <summary>Push v1 then v2 to an image layout and to docker-registry 2.8; pull back; skopeo reads what was written.</summary>
public sealed class PushPullTests
{
    [Fact]
    public async Task The_second_push_to_a_layout_uploads_only_the_changed_layers_the_config_and_the_manifest()
    {
        using var work = new TempDirectory();
        var (v1, v2) = BuildBoth(work);
        var store = OciLayoutStore.OpenOrCreate(work.Combine("layout"));

        var first = await EnvironmentPusher.PushAsync(v1, store, new PushOptions { Tags = ["v1"] });
        var second = await EnvironmentPusher.PushAsync(v2, store, new PushOptions { Tags = ["v2"] });

        AssertOnlyChangesUploaded(v1, v2, first, second);
    }

    [Fact]
    public async Task The_second_push_to_a_registry_uploads_only_the_changed_layers_and_skopeo_reads_and_copies_it()
    {
        using var work = new TempDirectory();
        var (v1, v2) = BuildBoth(work);
        using var registry = RegistryServer.StartAnonymous();
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/team/env:v1"), RemoteOptions.Default);

        var first = await EnvironmentPusher.PushAsync(v1, repository, new PushOptions { Tags = ["v1"] });
        var second = await EnvironmentPusher.PushAsync(v2, repository, new PushOptions { Tags = ["v2", "latest"] });
        AssertOnlyChangesUploaded(v1, v2, first, second);

        Assert.Equal(second.ManifestDigest, SkopeoRawDigest("--tls-verify=false", $"docker://{registry.Host}/team/env:latest"));
        var raw = ProcessRunner.RunChecked("skopeo", ["inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/team/env:latest"]).StdOut;
        Assert.Equal(OciMediaTypes.Environment, OciImageManifest.Parse(System.Text.Encoding.UTF8.GetBytes(raw)).ArtifactType);

        ProcessRunner.RunChecked("skopeo", ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", $"docker://{registry.Host}/team/env:v2", $"docker://{registry.Host}/other/copy:v2"]);
        using var other = RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/other/copy:v2"), RemoteOptions.Default);
        Assert.Equal(second.ManifestDigest, (await other.GetManifestAsync("v2", CancellationToken.None)).Digest);

        ProcessRunner.RunChecked("skopeo", ["copy", "--src-tls-verify=false", $"docker://{registry.Host}/team/env:v2", $"oci:{work.Combine("skopeo-layout")}:v2"]);
        var pulled = await EnvironmentPuller.PullToArchiveAsync(OciLayoutStore.Open(work.Combine("skopeo-layout")), "v2", work.Combine("from-skopeo.tar.zst"));
        Assert.Equal(v2.Config.Digest, "sha256:" + pulled.ManifestSha256);
    }

    [Fact]
    public async Task Skopeo_copies_and_inspects_an_image_layout_envship_wrote()
    {
        using var work = new TempDirectory();
        var built = VersionedEnvironment.BuildV1(work.Combine("env"), work.Combine("pkgs"));
        using var artifact = ArtifactBuilder.FromArchive(ArtifactBuilderTests.Pack(built.Prefix, work.Combine("v1.tar.zst"), null));
        var pushed = await EnvironmentPusher.PushAsync(artifact, OciLayoutStore.OpenOrCreate(work.Combine("a")), new PushOptions { Tags = ["v1"] });

        Assert.Equal(pushed.ManifestDigest, SkopeoRawDigest("--tls-verify=true", $"oci:{work.Combine("a")}:v1"));
        ProcessRunner.RunChecked("skopeo", ["copy", $"oci:{work.Combine("a")}:v1", $"oci:{work.Combine("b")}:copied"]);
        var copied = await OciLayoutStore.Open(work.Combine("b")).GetManifestAsync("copied", CancellationToken.None);
        Assert.Equal(pushed.ManifestDigest, copied.Digest);
    }

    [Fact]
    public async Task Pull_writes_an_archive_with_the_pushed_manifest_digest_that_gnu_tar_lists()
    {
        using var work = new TempDirectory();
        var built = VersionedEnvironment.BuildV1(work.Combine("env"), work.Combine("pkgs"));
        var archive = ArtifactBuilderTests.Pack(built.Prefix, work.Combine("v1.tar.zst"), null);
        using var artifact = ArtifactBuilder.FromArchive(archive);
        var store = OciLayoutStore.OpenOrCreate(work.Combine("layout"));
        await EnvironmentPusher.PushAsync(artifact, store, new PushOptions { Tags = ["v1"] });

        var pulled = await EnvironmentPuller.PullToArchiveAsync(store, "v1", work.Combine("pulled.tar.zst"));

        using var reader = ArchiveReader.Open(pulled.Output);
        Assert.Equal(artifact.Config.Digest, "sha256:" + reader.ManifestSha256);
        var listed = ProcessRunner.RunChecked("tar", ["--zstd", "-tf", pulled.Output]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var original = ProcessRunner.RunChecked("tar", ["--zstd", "-tf", archive]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(".envship/manifest.json", listed[0]);
        Assert.Equal(original.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_tampered_layer_fails_the_pull_naming_it_and_leaves_no_output()
    {
        using var work = new TempDirectory();
        var built = VersionedEnvironment.BuildV1(work.Combine("env"), work.Combine("pkgs"));
        using var artifact = ArtifactBuilder.FromArchive(ArtifactBuilderTests.Pack(built.Prefix, work.Combine("v1.tar.zst"), null));
        var store = OciLayoutStore.OpenOrCreate(work.Combine("layout"));
        await EnvironmentPusher.PushAsync(artifact, store, new PushOptions { Tags = ["v1"] });
        var zlib = artifact.Layers.Single(l => l.Layer.Title == VersionedEnvironment.ZlibV1);
        var blob = store.BlobPath(zlib.Descriptor.Digest);
        var bytes = File.ReadAllBytes(blob);
        bytes[^20] ^= 1;
        File.WriteAllBytes(blob, bytes);

        var error = await Assert.ThrowsAsync<EnvshipException>(() => EnvironmentPuller.PullToArchiveAsync(store, "v1", work.Combine("pulled.tar.zst")));
        Assert.Equal(ExitCode.DamagedArchive, error.Code);
        Assert.Contains(VersionedEnvironment.ZlibV1, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(work.Path, "pulled.tar.zst*"));
    }

    [Fact]
    public async Task A_signed_push_adds_a_referrer_whose_minisign_signature_covers_the_digest_and_pull_copies_it()
    {
        using var work = new TempDirectory();
        var built = VersionedEnvironment.BuildV1(work.Combine("env"), work.Combine("pkgs"));
        using var artifact = ArtifactBuilder.FromArchive(ArtifactBuilderTests.Pack(built.Prefix, work.Combine("v1.tar.zst"), null));
        var key = MinisignSecretKey.Generate();
        File.WriteAllText(work.Combine("key.pub"), key.PublicKey.ToFileText());
        var store = OciLayoutStore.OpenOrCreate(work.Combine("layout"));

        var pushed = await EnvironmentPusher.PushAsync(artifact, store, new PushOptions { Tags = ["v1"], SigningKey = key });

        var referrers = await store.GetReferrersAsync(pushed.ManifestDigest, OciMediaTypes.Signature, CancellationToken.None);
        var referrer = Assert.Single(referrers);
        Assert.Equal(pushed.SignatureDigest, referrer.Digest);
        var signature = OciImageManifest.Parse((await store.GetManifestAsync(referrer.Digest, CancellationToken.None)).Content).Layers.Single();
        Assert.Equal(OciMediaTypes.MinisignSignature, signature.MediaType);
        File.WriteAllText(work.Combine("digest"), pushed.ManifestDigest);
        File.Copy(store.BlobPath(signature.Digest), work.Combine("digest.minisig"));
        ProcessRunner.RunChecked("minisign", ["-V", "-q", "-p", work.Combine("key.pub"), "-m", work.Combine("digest")]);

        var copy = OciLayoutStore.OpenOrCreate(work.Combine("copy"));
        await EnvironmentPuller.PullToLayoutAsync(store, "v1", copy, ["v1"]);
        Assert.Single(await copy.GetReferrersAsync(pushed.ManifestDigest, OciMediaTypes.Signature, CancellationToken.None));
    }

    /// <summary>The sha256 of the exact bytes <c>skopeo inspect --raw</c> prints.</summary>
    private static string SkopeoRawDigest(string tlsFlag, string reference) =>
        "sha256:" + ProcessRunner.RunChecked("sh", ["-c", "skopeo inspect --raw \"$1\" \"$2\" | sha256sum", "sh", tlsFlag, reference]).StdOut.Split(' ')[0];

    private static (BuiltArtifact V1, BuiltArtifact V2) BuildBoth(TempDirectory work)
    {
        var built = VersionedEnvironment.BuildV1(work.Combine("env"), work.Combine("pkgs"));
        var v1 = ArtifactBuilder.FromArchive(ArtifactBuilderTests.Pack(built.Prefix, work.Combine("v1.tar.zst"), null));
        VersionedEnvironment.UpgradeToV2(built);
        var v2 = ArtifactBuilder.FromArchive(ArtifactBuilderTests.Pack(built.Prefix, work.Combine("v2.tar.zst"), null));
        return (v1, v2);
    }

    private static void AssertOnlyChangesUploaded(BuiltArtifact v1, BuiltArtifact v2, PushResult first, PushResult second)
    {
        try
        {
            Assert.All(first.Layers, l => Assert.Equal(BlobOutcome.Uploaded, l.Outcome));
            var known = v1.Layers.Select(l => l.Descriptor.Digest).ToHashSet();
            var changed = v2.Layers.Where(l => !known.Contains(l.Descriptor.Digest)).ToList();
            Assert.Equal(["base", VersionedEnvironment.ZlibV2, "pip:beta-2.0"], changed.Select(l => l.Layer.Title).Order(StringComparer.Ordinal));
            Assert.Equal(changed.Sum(l => l.Descriptor.Size) + v2.Config.Size + second.ManifestSize, second.BytesUploaded);
            Assert.Equal(v2.Layers.Where(l => known.Contains(l.Descriptor.Digest)).Sum(l => l.Descriptor.Size), second.BytesSkipped);
            Assert.Equal(v2.Layers.Count - 3, second.Layers.Count(l => l.Outcome == BlobOutcome.Present));
        }
        finally
        {
            v1.Dispose();
            v2.Dispose();
        }
    }
}
