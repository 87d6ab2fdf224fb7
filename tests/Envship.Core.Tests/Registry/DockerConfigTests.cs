using System.Text.Json.Nodes;
using Envship.Core.Registry;
using Envship.Core.Registry.Auth;
using Envship.Core.Registry.Transport;
using Envship.Testing;

namespace Envship.Core.Tests.Registry;

/// <summary>Reading docker's config.json as docker writes it.</summary>
public sealed class DockerConfigTests
{
    [Theory]
    [InlineData("""{"auths":{"registry.example.com:5000":{"auth":"dTpw"}}}""", "registry.example.com:5000", "u", "p")]
    [InlineData("""{"auths":{"https://registry.example.com:5000/v1/":{"auth":"dTpw"}}}""", "registry.example.com:5000", "u", "p")]
    [InlineData("""{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"}}}""", "docker.io", "u", "p")]
    [InlineData("""{"auths":{"registry.example.com":{"auth":"dTpwOmFzcw=="}}}""", "registry.example.com", "u", "p:ass")]
    public async Task Auths_entries_are_found_under_the_keys_docker_writes(string json, string registry, string user, string password)
    {
        using var dir = new TempDirectory();
        var credential = await new DockerConfigCredentials(dir.WriteFile("config.json", json)).GetAsync(registry, CancellationToken.None);
        Assert.Equal(user, credential!.Username);
        Assert.Equal(password, credential.Password);
    }

    [Fact]
    public async Task Another_hosts_entry_an_empty_placeholder_and_values_of_the_wrong_type_give_no_credential()
    {
        using var dir = new TempDirectory();
        var config = dir.WriteFile("config.json", """{"auths":{"other.example.com":{"auth":"dTpw"},"registry.example.com":{},"third.example.com":{"auth":42}},"credsStore":false}""");
        Assert.Null(await new DockerConfigCredentials(config).GetAsync("registry.example.com", CancellationToken.None));
        Assert.Null(await new DockerConfigCredentials(config).GetAsync("third.example.com", CancellationToken.None));
        Assert.Null(await new DockerConfigCredentials(config).GetAsync("fourth.example.com", CancellationToken.None));
    }

    [Fact]
    public void Docker_hub_is_addressed_at_its_API_host_and_stored_under_dockers_key()
    {
        using var client = RegistryClient.Create("docker.io", RemoteOptions.Default, new FixedCredentialSource(null));
        Assert.Equal("https://registry-1.docker.io/", client.BaseUri.ToString());
        Assert.Equal(DockerConfig.DockerHubKey, DockerConfig.CredentialKey("docker.io"));
        Assert.Equal("registry.example.com", DockerConfig.CredentialKey("registry.example.com"));
        Assert.Equal(DockerConfig.DockerHubKey, DockerConfig.FindAuthKey(new JsonObject { [DockerConfig.DockerHubKey] = new JsonObject() }, "index.docker.io"));
    }

    [Fact]
    public async Task A_damaged_auth_entry_is_a_clear_error_naming_the_file()
    {
        using var dir = new TempDirectory();
        var config = dir.WriteFile("config.json", """{"auths":{"registry.example.com":{"auth":"not base64!"}}}""");
        var error = await Assert.ThrowsAsync<EnvshipException>(() => new DockerConfigCredentials(config).GetAsync("registry.example.com", CancellationToken.None));
        Assert.Equal(ExitCode.RegistryAuth, error.Code);
        Assert.Contains(config, error.Message, StringComparison.Ordinal);
    }
}
