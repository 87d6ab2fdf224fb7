using Envship.Core.Registry;
using Envship.Core.Registry.Transport;
using Envship.Testing.Registry;

namespace Envship.Core.Tests.Registry;

/// <summary>Signatures as referrers on distribution 2.8, which lacks the referrers API: the <c>sha256-HEX</c> tag schema.</summary>
public sealed class ReferrersTests
{
    [Fact]
    public async Task A_referrer_pushed_to_a_registry_without_the_API_is_found_through_the_tag_schema()
    {
        using var registry = RegistryServer.StartAnonymous();
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/team/env:v1"), RemoteOptions.Default);
        var subject = await RegistryRepositoryTests.PushEnvironment(repository, 10);
        var subjectDescriptor = new OciDescriptor { MediaType = subject.MediaType, Digest = subject.Digest, Size = subject.Content.Length };
        Assert.Empty(await repository.GetReferrersAsync(subject.Digest, null, CancellationToken.None));

        var signature = await PushReferrer(repository, subjectDescriptor, OciMediaTypes.Signature, 11);
        var other = await PushReferrer(repository, subjectDescriptor, "application/vnd.example.sbom", 12);

        var signatures = await repository.GetReferrersAsync(subject.Digest, OciMediaTypes.Signature, CancellationToken.None);
        var all = await repository.GetReferrersAsync(subject.Digest, null, CancellationToken.None);
        var tagIndex = OciImageIndex.Parse((await repository.GetManifestAsync(OciDigest.ReferrersTag(subject.Digest), CancellationToken.None)).Content);

        var found = Assert.Single(signatures);
        Assert.Equal(signature.Digest, found.Digest);
        Assert.Equal(signature.Content.Length, found.Size);
        Assert.Equal(OciMediaTypes.ImageManifest, found.MediaType);
        Assert.Equal([signature.Digest, other.Digest], all.Select(d => d.Digest));
        Assert.Equal(2, tagIndex.Manifests.Count);
        Assert.Equal(OciMediaTypes.ImageIndex, tagIndex.MediaType);
    }

    [Fact]
    public async Task Pushing_the_same_referrer_twice_lists_it_once()
    {
        using var registry = RegistryServer.StartAnonymous();
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/team/env:v1"), RemoteOptions.Default);
        var subject = await RegistryRepositoryTests.PushEnvironment(repository, 20);
        var subjectDescriptor = new OciDescriptor { MediaType = subject.MediaType, Digest = subject.Digest, Size = subject.Content.Length };

        var first = await PushReferrer(repository, subjectDescriptor, OciMediaTypes.Signature, 21);
        await repository.PushManifestAsync(first.Digest, first, CancellationToken.None);

        Assert.Single(await repository.GetReferrersAsync(subject.Digest, OciMediaTypes.Signature, CancellationToken.None));
    }

    [Fact]
    public async Task The_referrers_API_is_used_when_the_registry_has_it_following_pages_and_filtering_when_it_did_not()
    {
        var subject = "sha256:" + new string('a', 64);
        var signature = new OciDescriptor { MediaType = OciMediaTypes.ImageManifest, Digest = "sha256:" + new string('b', 64), Size = 10, ArtifactType = OciMediaTypes.Signature };
        var sbom = new OciDescriptor { MediaType = OciMediaTypes.ImageManifest, Digest = "sha256:" + new string('c', 64), Size = 11, ArtifactType = "application/vnd.example.sbom" };
        var second = new OciDescriptor { MediaType = OciMediaTypes.ImageManifest, Digest = "sha256:" + new string('d', 64), Size = 12, ArtifactType = OciMediaTypes.Signature };
        using var server = new LoopbackHttpServer(request =>
        {
            var page = request.Target.Contains("page=2", StringComparison.Ordinal) ? [second] : new[] { signature, sbom };
            var headers = new Dictionary<string, string> { ["Content-Type"] = OciMediaTypes.ImageIndex };
            if (!request.Target.Contains("page=2", StringComparison.Ordinal))
            {
                headers["Link"] = $"</v2/team/env/referrers/{subject}?page=2>; rel=\"next\"";
            }

            return new LoopbackResponse(200, new OciImageIndex { Manifests = page }.ToJson(), headers);
        });
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://127.0.0.1:{server.Port}/team/env:v1"), RemoteOptions.Default);

        var found = await repository.GetReferrersAsync(subject, OciMediaTypes.Signature, CancellationToken.None);

        Assert.Equal([signature.Digest, second.Digest], found.Select(d => d.Digest));
        Assert.StartsWith($"/v2/team/env/referrers/{subject}?artifactType=application%2Fvnd.envship.signature.v1", server.Requests.First().Target, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests.Count);
    }

    private static async Task<OciManifestBytes> PushReferrer(RegistryRepository repository, OciDescriptor subject, string artifactType, int seed)
    {
        var config = TestArtifacts.Describe(TestArtifacts.EmptyConfig, OciMediaTypes.Empty);
        var payload = TestArtifacts.RandomBytes(120, seed);
        var layer = TestArtifacts.Describe(payload, OciMediaTypes.MinisignSignature);
        await repository.PushBlobAsync(config, () => new MemoryStream(TestArtifacts.EmptyConfig), CancellationToken.None);
        await repository.PushBlobAsync(layer, () => new MemoryStream(payload), CancellationToken.None);
        var manifest = TestArtifacts.Manifest(config, [layer], artifactType, subject);
        await repository.PushManifestAsync(manifest.Digest, manifest, CancellationToken.None);
        return manifest;
    }
}
