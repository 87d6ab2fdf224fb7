using System.Text;
using Envship.Core.Registry;
using Envship.Core.Registry.Auth;
using Envship.Core.Registry.Transport;
using Envship.Testing;
using Envship.Testing.Registry;

namespace Envship.Core.Tests.Registry;

/// <summary>Basic (htpasswd) and Bearer (distribution's token auth with a loopback issuer) against the real registry.</summary>
public sealed class RegistryAuthTests
{
    [Fact]
    public async Task Basic_auth_push_and_pull_work_with_the_credential_from_the_docker_config()
    {
        using var registry = RegistryServer.StartWithBasicAuth("ci", "right-pass");
        using var dir = new TempDirectory();
        var options = new RemoteOptions { DockerConfigPath = WriteDockerConfig(dir, registry.Host, "ci", "right-pass") };
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/team/env:v1"), options);

        var manifest = await RegistryRepositoryTests.PushEnvironment(repository, 30);

        Assert.Equal(manifest.Content, (await repository.GetManifestAsync("v1", CancellationToken.None)).Content);
    }

    [Fact]
    public async Task Basic_auth_with_a_wrong_password_is_refused_naming_the_user_the_host_and_the_fix()
    {
        using var registry = RegistryServer.StartWithBasicAuth("ci", "right-pass");
        using var dir = new TempDirectory();
        var config = WriteDockerConfig(dir, registry.Host, "ci", "wrong-pass");
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/team/env:v1"), new RemoteOptions { DockerConfigPath = config });

        var refused = await Assert.ThrowsAsync<EnvshipException>(() => repository.GetManifestAsync("v1", CancellationToken.None));

        Assert.Equal(ExitCode.RegistryAuth, refused.Code);
        Assert.Contains($"{registry.Host} refused user ci (from {config})", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"envship login {registry.Host}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basic_auth_without_any_credential_says_to_log_in()
    {
        using var registry = RegistryServer.StartWithBasicAuth();
        using var dir = new TempDirectory();
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/team/env:v1"), new RemoteOptions { DockerConfigPath = dir.Combine("absent.json") });
        var blob = TestArtifacts.Describe([1, 2, 3], OciMediaTypes.Layer);

        var refused = await Assert.ThrowsAsync<EnvshipException>(() => repository.PushBlobAsync(blob, () => new MemoryStream([1, 2, 3]), CancellationToken.None));

        Assert.Equal(ExitCode.RegistryAuth, refused.Code);
        Assert.Contains("wants credentials for pull,push access to team/env and none are stored", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"envship login {registry.Host}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bearer_push_and_pull_work_and_one_token_serves_every_request_of_a_scope()
    {
        using var issuer = new TokenIssuer("ci", "token-pass");
        using var registry = RegistryServer.StartWithAuthConfig(issuer.AuthConfig);
        using var dir = new TempDirectory();
        var options = new RemoteOptions { DockerConfigPath = WriteDockerConfig(dir, registry.Host, "ci", "token-pass") };
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/team/env:v1"), options);

        var manifest = await RegistryRepositoryTests.PushEnvironment(repository, 31);
        for (var i = 0; i < 3; i++)
        {
            var blob = TestArtifacts.RandomBytes(1000, 40 + i);
            await repository.PushBlobAsync(TestArtifacts.Describe(blob, OciMediaTypes.Layer), () => new MemoryStream(blob), CancellationToken.None);
        }

        var read = await repository.GetManifestAsync("v1", CancellationToken.None);

        Assert.Equal(manifest.Content, read.Content);
        var pushTokens = issuer.Requests.Count(r => Uri.UnescapeDataString(r.Target).Contains("scope=repository:team/env:pull,push", StringComparison.Ordinal));
        Assert.Equal(1, pushTokens);
        Assert.All(issuer.Requests, r => Assert.StartsWith("Basic ", r.Header("Authorization"), StringComparison.Ordinal));
        Assert.Contains(issuer.Requests, r => r.Target.Contains("service=" + TokenIssuer.Service, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Under_bearer_auth_every_blob_body_is_sent_once_and_never_refused()
    {
        using var issuer = new TokenIssuer("ci", "token-pass");
        using var registry = RegistryServer.StartWithAuthConfig(issuer.AuthConfig);
        using var proxy = new RefusingProxy(registry, _ => null);
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://{proxy.Host}/team/env:v1"), new RemoteOptions { Username = "ci", Password = "token-pass" });
        repository.ChunkThreshold = 30_000;
        repository.ChunkSize = 10_000;
        var small = TestArtifacts.RandomBytes(5_000, 50);
        var large = TestArtifacts.RandomBytes(35_000, 51);

        await repository.PushBlobAsync(TestArtifacts.Describe(small, OciMediaTypes.Layer), () => new MemoryStream(small), CancellationToken.None);
        await repository.PushBlobAsync(TestArtifacts.Describe(large, OciMediaTypes.Layer), () => new MemoryStream(large), CancellationToken.None);

        var withBody = proxy.Requests.Where(r => r.Body.Length > 0).ToList();
        Assert.Equal(["PUT", "PATCH", "PATCH", "PATCH", "PATCH"], withBody.Select(r => r.Method));
        Assert.Equal(small.Length + large.Length, withBody.Sum(r => r.Body.Length));
        Assert.All(withBody, r => Assert.StartsWith("Bearer ", r.Header("Authorization"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_token_server_on_https_with_a_private_CA_needs_ca_file()
    {
        using var certificates = TestCertificates.Create();
        using var issuer = new TokenIssuer("ci", "token-pass", tls: certificates.Server);
        using var registry = RegistryServer.StartWithAuthConfig(issuer.AuthConfig);
        using var dir = new TempDirectory();
        var caFile = dir.WriteFile("ca.pem", certificates.CaPem);
        var reference = OciReference.Parse($"oci://{registry.Host}/team/env:v1");
        Assert.StartsWith("https://", issuer.Realm, StringComparison.Ordinal);

        using (var untrusting = RegistryRepository.Open(reference, new RemoteOptions { Username = "ci", Password = "token-pass" }))
        {
            var refused = await Assert.ThrowsAsync<EnvshipException>(() => untrusting.HasBlobAsync(TestArtifacts.Describe([1], OciMediaTypes.Layer), CancellationToken.None));
            Assert.Equal(ExitCode.RemoteUnavailable, refused.Code);
            Assert.Contains("--ca-file", refused.Message, StringComparison.Ordinal);
        }

        using var trusting = RegistryRepository.Open(reference, new RemoteOptions { Username = "ci", Password = "token-pass", CaFile = caFile });
        var manifest = await RegistryRepositoryTests.PushEnvironment(trusting, 70);
        Assert.Equal(manifest.Digest, (await trusting.GetManifestAsync("v1", CancellationToken.None)).Digest);
    }

    [Fact]
    public async Task A_mount_from_a_repository_the_user_may_not_read_falls_back_to_an_upload()
    {
        using var issuer = new TokenIssuer("ci", "token-pass");
        using var registry = RegistryServer.StartWithAuthConfig(issuer.AuthConfig);
        var options = new RemoteOptions { Username = "ci", Password = "token-pass" };
        using var secret = RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/team/secret:v1"), options);
        using var mine = RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/team/env:v1"), options);
        var content = TestArtifacts.RandomBytes(3_000, 80);
        var blob = TestArtifacts.Describe(content, OciMediaTypes.Layer);
        await secret.PushBlobAsync(blob, () => new MemoryStream(content), CancellationToken.None);
        issuer.DeniedRepositories.Add("team/secret");

        var sent = await mine.PushBlobAsync(blob, () => new MemoryStream(content), ["team/secret"], CancellationToken.None);

        Assert.Equal(content.Length, sent);
        Assert.True(await mine.HasBlobAsync(blob, CancellationToken.None));
    }

    [Fact]
    public async Task Parallel_first_requests_share_one_token()
    {
        using var issuer = new TokenIssuer("ci", "token-pass");
        using var registry = RegistryServer.StartWithAuthConfig(issuer.AuthConfig);
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/team/env:v1"), new RemoteOptions { Username = "ci", Password = "token-pass" });
        var blobs = Enumerable.Range(0, 8).Select(i => TestArtifacts.Describe(TestArtifacts.RandomBytes(100, 60 + i), OciMediaTypes.Layer)).ToList();

        var found = await Task.WhenAll(blobs.Select(b => repository.HasBlobAsync(b, CancellationToken.None)));

        Assert.All(found, Assert.False);
        Assert.Single(issuer.Requests);
    }

    [Fact]
    public async Task Bearer_with_a_wrong_password_is_refused_at_the_token_server_naming_the_host_and_the_fix()
    {
        using var issuer = new TokenIssuer("ci", "token-pass");
        using var registry = RegistryServer.StartWithAuthConfig(issuer.AuthConfig);
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/team/env:v1"), new RemoteOptions { Username = "ci", Password = "nope" });

        var refused = await Assert.ThrowsAsync<EnvshipException>(() => repository.GetManifestAsync("v1", CancellationToken.None));

        Assert.Equal(ExitCode.RegistryAuth, refused.Code);
        Assert.Contains($"token server of {registry.Host}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("refused user ci", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"envship login {registry.Host}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bearer_without_a_credential_gets_an_empty_token_and_then_a_clear_refusal()
    {
        using var issuer = new TokenIssuer();
        using var registry = RegistryServer.StartWithAuthConfig(issuer.AuthConfig);
        using var dir = new TempDirectory();
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/team/env:v1"), new RemoteOptions { DockerConfigPath = dir.Combine("absent.json") });

        var refused = await Assert.ThrowsAsync<EnvshipException>(() => repository.GetManifestAsync("v1", CancellationToken.None));

        Assert.Equal(ExitCode.RegistryAuth, refused.Code);
        Assert.Contains("none are stored", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"envship login {registry.Host}", refused.Message, StringComparison.Ordinal);
        Assert.Single(issuer.Requests);
    }

    [Fact]
    public async Task An_identity_token_is_exchanged_with_a_refresh_token_post_and_access_token_is_accepted()
    {
        using var issuer = new TokenIssuer(refreshToken: "refresh-me", accessTokenField: true);
        using var registry = RegistryServer.StartWithAuthConfig(issuer.AuthConfig);
        using var dir = new TempDirectory();
        var config = dir.WriteFile("config.json", $$$"""{"auths":{"{{{registry.Host}}}":{"identitytoken":"refresh-me"} } }""");
        using var repository = RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/team/env:v1"), new RemoteOptions { DockerConfigPath = config });

        var manifest = await RegistryRepositoryTests.PushEnvironment(repository, 32);

        Assert.Equal(manifest.Digest, (await repository.GetManifestAsync("v1", CancellationToken.None)).Digest);
        Assert.All(issuer.Requests, r => Assert.Equal("POST", r.Method));
        Assert.Contains("refresh_token=refresh-me", Encoding.UTF8.GetString(issuer.Requests[0].Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_credential_helper_named_in_credHelpers_is_asked_with_the_host_on_stdin()
    {
        using var registry = RegistryServer.StartWithBasicAuth("ci", "helper-pass");
        using var dir = new TempDirectory();
        var bin = dir.CreateDirectory("bin");
        var asked = dir.Combine("asked");
        var helper = dir.WriteFile("bin/docker-credential-envshiptest", $$"""
            #!/bin/sh
            read -r server
            echo "$1 $server" >> '{{asked}}'
            if [ "$server" = "{{registry.Host}}" ]; then
              printf '{"ServerURL":"%s","Username":"ci","Secret":"helper-pass"}' "$server"
            else
              echo "credentials not found in native keychain"; exit 1
            fi
            """);
        File.SetUnixFileMode(helper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = dir.WriteFile("config.json", $$$"""{"auths":{"{{{registry.Host}}}":{}},"credHelpers":{"{{{registry.Host}}}":"envshiptest"}}""");

        var path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", bin + ":" + path);
        try
        {
            using var repository = RegistryRepository.Open(OciReference.Parse($"oci://{registry.Host}/team/env:v1"), new RemoteOptions { DockerConfigPath = config });
            await RegistryRepositoryTests.PushEnvironment(repository, 33);
            Assert.Null(await new DockerConfigCredentials(dir.WriteFile("store.json", """{"credsStore":"envshiptest"}""")).GetAsync("other.example.com", CancellationToken.None));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }

        Assert.Equal([$"get {registry.Host}", "get other.example.com"], File.ReadAllLines(asked));
    }

    [Theory]
    [InlineData("""Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push" """, "Bearer", "realm", "https://auth.example.com/token", "scope", "repository:a/b:pull,push")]
    [InlineData("""Basic realm="Registry Realm" """, "Basic", "realm", "Registry Realm", "realm", "Registry Realm")]
    [InlineData("""bearer Realm="https://a/t?x=1,y=2", Service=svc""", "bearer", "realm", "https://a/t?x=1,y=2", "service", "svc")]
    [InlineData("""Bearer realm="quo\"ted",error="insufficient_scope" """, "Bearer", "realm", "quo\"ted", "error", "insufficient_scope")]
    public void Challenges_parse_with_quoted_values_holding_commas(string header, string scheme, string name1, string value1, string name2, string value2)
    {
        var challenge = Assert.Single(AuthChallenge.Parse(header));
        Assert.Equal(scheme, challenge.Scheme);
        Assert.Equal(value1, challenge.Parameter(name1));
        Assert.Equal(value2, challenge.Parameter(name2));
    }

    [Fact]
    public void Two_challenges_in_one_header_are_both_read()
    {
        var challenges = AuthChallenge.Parse("""Basic realm="r1", Bearer realm="https://t/token",service="s" """);
        Assert.Equal(["Basic", "Bearer"], challenges.Select(c => c.Scheme));
        Assert.Equal("s", challenges[1].Parameter("service"));
    }

    internal static string WriteDockerConfig(TempDirectory dir, string host, string user, string password) =>
        dir.WriteFile("docker/config.json", $$$"""{"auths":{"{{{host}}}":{"auth":"{{{Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password))}}}"} } }""");
}
