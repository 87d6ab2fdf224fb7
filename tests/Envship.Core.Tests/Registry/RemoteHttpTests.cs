using System.Net;
using System.Net.Http.Headers;
using Envship.Core.Registry.Transport;
using Envship.Testing;
using Envship.Testing.Registry;

namespace Envship.Core.Tests.Registry;

/// <summary>The one HTTP client factory: TLS trust, the plain-http rule, hand-followed redirects, failures as exit codes.</summary>
public sealed class RemoteHttpTests
{
    [Fact]
    public async Task A_server_signed_by_a_private_CA_is_refused_without_ca_file_and_accepted_with_it()
    {
        using var certificates = TestCertificates.Create();
        using var server = new LoopbackHttpServer(_ => LoopbackResponse.Text(200, "hello"), certificates.Server);
        using var dir = new TempDirectory();
        var caFile = dir.WriteFile("ca.pem", certificates.CaPem);

        using (var plain = RemoteHttp.CreateClient(RemoteOptions.Default))
        {
            var refused = await Assert.ThrowsAsync<EnvshipException>(() => plain.GetAsync(new Uri(server.BaseUrl + "/env.tar.zst")));
            Assert.Equal(ExitCode.RemoteUnavailable, refused.Code);
            Assert.Contains("127.0.0.1", refused.Message, StringComparison.Ordinal);
            Assert.Contains("--ca-file", refused.Message, StringComparison.Ordinal);
        }

        using var trusting = RemoteHttp.CreateClient(new RemoteOptions { CaFile = caFile });
        using var response = await trusting.GetAsync(new Uri(server.BaseUrl + "/env.tar.zst"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_ca_file_of_another_CA_does_not_make_the_server_trusted()
    {
        using var certificates = TestCertificates.Create();
        using var other = TestCertificates.Create("another CA");
        using var server = new LoopbackHttpServer(_ => LoopbackResponse.Text(200, "hello"), certificates.Server);
        using var dir = new TempDirectory();
        var caFile = dir.WriteFile("other.pem", other.CaPem);

        using var client = RemoteHttp.CreateClient(new RemoteOptions { CaFile = caFile });
        var refused = await Assert.ThrowsAsync<EnvshipException>(() => client.GetAsync(new Uri(server.BaseUrl + "/")));
        Assert.Equal(ExitCode.RemoteUnavailable, refused.Code);
        Assert.Contains(caFile, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ca_file_without_certificates_is_a_usage_error_naming_it()
    {
        using var dir = new TempDirectory();
        var caFile = dir.WriteFile("empty.pem", "not a certificate\n");
        var error = Assert.Throws<EnvshipException>(() => RemoteHttp.CreateClient(new RemoteOptions { CaFile = caFile }).Dispose());
        Assert.Equal(ExitCode.Usage, error.Code);
        Assert.Contains(caFile, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorization_follows_a_redirect_on_the_same_host_but_never_to_another_one()
    {
        using var storage = new LoopbackHttpServer(_ => LoopbackResponse.Text(200, "blob bytes"));
        using var registry = new LoopbackHttpServer(request => request.Target.StartsWith("/here", StringComparison.Ordinal)
            ? LoopbackResponse.Text(200, "same host")
            : request.Target.StartsWith("/local", StringComparison.Ordinal)
                ? LoopbackResponse.Text(307, "", new Dictionary<string, string> { ["Location"] = "/here?signed=1" })
                : LoopbackResponse.Text(307, "", new Dictionary<string, string> { ["Location"] = storage.BaseUrl + "/bucket/blob?sig=abc" }));
        using var client = RemoteHttp.CreateClient(RemoteOptions.Default);

        using (var away = new HttpRequestMessage(HttpMethod.Get, new Uri(registry.BaseUrl + "/v2/team/env/blobs/sha256:aa")))
        {
            away.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "registry-token");
            using var response = await client.SendAsync(away);
            Assert.Equal("blob bytes", await response.Content.ReadAsStringAsync());
        }

        using (var local = new HttpRequestMessage(HttpMethod.Get, new Uri(registry.BaseUrl + "/local")))
        {
            local.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "registry-token");
            using var response = await client.SendAsync(local);
            Assert.Equal("same host", await response.Content.ReadAsStringAsync());
        }

        var atStorage = Assert.Single(storage.Requests);
        Assert.Equal("/bucket/blob?sig=abc", atStorage.Target);
        Assert.Null(atStorage.Header("Authorization"));
        Assert.StartsWith("envship/", atStorage.Header("User-Agent"), StringComparison.Ordinal);
        var sameHost = registry.Requests.Single(r => r.Target.StartsWith("/here", StringComparison.Ordinal));
        Assert.Equal("Bearer registry-token", sameHost.Header("Authorization"));
    }

    [Fact]
    public async Task Plain_http_to_a_host_that_is_not_loopback_needs_insecure()
    {
        using var client = RemoteHttp.CreateClient(RemoteOptions.Default);
        var refused = await Assert.ThrowsAsync<EnvshipException>(() => client.GetAsync(new Uri("http://registry.example.com/v2/")));
        Assert.Equal(ExitCode.Usage, refused.Code);
        Assert.Contains("--insecure", refused.Message, StringComparison.Ordinal);
        Assert.Contains("registry.example.com", refused.Message, StringComparison.Ordinal);

        RemoteHttp.CheckScheme(new Uri("http://registry.example.com/v2/"), new RemoteOptions { Insecure = true });
        RemoteHttp.CheckScheme(new Uri("http://localhost:5000/v2/"), RemoteOptions.Default);
        RemoteHttp.CheckScheme(new Uri("http://[::1]:5000/v2/"), RemoteOptions.Default);
    }

    [Fact]
    public async Task A_closed_port_is_remote_unavailable_naming_the_host()
    {
        var port = FreeTcpPort();
        using var client = RemoteHttp.CreateClient(RemoteOptions.Default);
        var refused = await Assert.ThrowsAsync<EnvshipException>(() => client.GetAsync(new Uri($"http://127.0.0.1:{port}/v2/")));
        Assert.Equal(ExitCode.RemoteUnavailable, refused.Code);
        Assert.Contains($"127.0.0.1:{port}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("refused the connection", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(404, ExitCode.RemoteNotFound)]
    [InlineData(401, ExitCode.RegistryAuth)]
    [InlineData(403, ExitCode.RegistryAuth)]
    [InlineData(500, ExitCode.RemoteUnavailable)]
    [InlineData(503, ExitCode.RemoteUnavailable)]
    public async Task Http_statuses_map_to_the_documented_exit_codes_with_the_servers_reason(int status, ExitCode expected)
    {
        using var server = new LoopbackHttpServer(_ => LoopbackResponse.Text(status, """{"errors":[{"code":"SOME_CODE","message":"the reason"}]}"""));
        using var client = RemoteHttp.CreateClient(RemoteOptions.Default);
        using var response = await client.GetAsync(new Uri(server.BaseUrl + "/v2/team/env/manifests/v1"));
        var error = await RemoteFailure.FromResponseAsync(response, "manifest v1 of team/env", CancellationToken.None);
        Assert.Equal(expected, error.Code);
        Assert.Contains("SOME_CODE: the reason", error.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{server.Port}", error.Message, StringComparison.Ordinal);
    }

    private static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
