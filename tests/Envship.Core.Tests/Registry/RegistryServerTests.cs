using System.Net;
using Envship.Testing.Registry;

namespace Envship.Core.Tests.Registry;

/// <summary>The test registry itself: the real distribution server answers on loopback and enforces its auth.</summary>
public sealed class RegistryServerTests
{
    [Fact]
    public async Task Basic_auth_registry_wants_credentials_and_accepts_the_right_ones()
    {
        using var registry = RegistryServer.StartWithBasicAuth("ci", "right-pass");
        using var http = new HttpClient();
        var v2 = new Uri($"http://{registry.Host}/v2/");

        using var anonymous = await http.GetAsync(v2);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("Basic", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        using var request = new HttpRequestMessage(HttpMethod.Get, v2);
        request.Headers.Authorization = new("Basic", Convert.ToBase64String("ci:right-pass"u8.ToArray()));
        using var authorized = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
    }
}
