using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Envship.Testing.Registry;

/// <summary>
/// A token server for distribution's <c>auth: token:</c> on 127.0.0.1: checks Basic credentials (or an OAuth2
/// refresh token) and answers with an ES256 JWT whose <c>x5c</c> header carries a self-signed certificate, the one
/// the registry trusts through <c>rootcertbundle</c>. Authenticated users get what they ask; anonymous ones nothing.
/// </summary>
public sealed class TokenIssuer : IDisposable
{
    public const string Service = "envship-test-registry";
    public const string Issuer = "envship-test-issuer";

    private readonly TempDirectory _dir = new("envship-token-");
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _certificate;
    private readonly LoopbackHttpServer _server;

    /// <param name="user">The one user.</param>
    /// <param name="password">Its password.</param>
    /// <param name="refreshToken">An identity token accepted in an OAuth2 refresh_token POST, if any.</param>
    /// <param name="accessTokenField">Answer with <c>access_token</c> instead of <c>token</c>.</param>
    /// <param name="tls">Serve the realm over https with this certificate.</param>
    public TokenIssuer(string user = "ci", string password = "token-pass", string? refreshToken = null, bool accessTokenField = false, X509Certificate2? tls = null)
    {
        User = user;
        Password = password;
        var request = new CertificateRequest($"CN={Issuer}", _key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        _certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        RootCertBundle = _dir.WriteFile("token-root.pem", _certificate.ExportCertificatePem());
        _server = new LoopbackHttpServer(r => Answer(r, refreshToken, accessTokenField), tls);
    }

    /// <summary>Repositories no one gets any access to (a mount source the user may not read).</summary>
    public ISet<string> DeniedRepositories { get; } = new HashSet<string>(StringComparer.Ordinal);

    public string User { get; }
    public string Password { get; }
    public string RootCertBundle { get; }
    public string Realm => $"{_server.BaseUrl}/token";

    /// <summary>The registry's <c>auth:</c> section for <see cref="RegistryServer.StartWithAuthConfig"/>.</summary>
    public string AuthConfig => $"  token:\n    realm: {Realm}\n    service: {Service}\n    issuer: {Issuer}\n    rootcertbundle: {RootCertBundle}\n";

    /// <summary>Token requests so far.</summary>
    public IReadOnlyList<LoopbackRequest> Requests => [.. _server.Requests];

    private LoopbackResponse Answer(LoopbackRequest request, string? refreshToken, bool accessTokenField)
    {
        var path = request.Target.Split('?')[0];
        if (path != "/token")
        {
            return LoopbackResponse.Text(404, "not found");
        }

        string? subject;
        List<string> scopes;
        if (request.Method == "POST")
        {
            var form = Query(Encoding.UTF8.GetString(request.Body));
            if (refreshToken is null || !form.Contains(("grant_type", "refresh_token")) || !form.Contains(("refresh_token", refreshToken)))
            {
                return LoopbackResponse.Text(401, """{"error":"invalid_grant"}""");
            }

            subject = User;
            scopes = form.Where(p => p.Key == "scope").SelectMany(p => p.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        }
        else
        {
            var query = Query(request.Target.Contains('?', StringComparison.Ordinal) ? request.Target[(request.Target.IndexOf('?', StringComparison.Ordinal) + 1)..] : "");
            scopes = query.Where(p => p.Key == "scope").Select(p => p.Value).ToList();
            subject = null;
            if (request.Header("Authorization") is { } authorization)
            {
                var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"));
                if (authorization != expected)
                {
                    return LoopbackResponse.Text(401, """{"details":"incorrect username or password"}""");
                }

                subject = User;
            }
        }

        var token = Sign(subject, subject is null ? [] : scopes);
        var body = new JsonObject { [accessTokenField ? "access_token" : "token"] = token, ["expires_in"] = 300 };
        return LoopbackResponse.Text(200, body.ToJsonString(), new Dictionary<string, string> { ["Content-Type"] = "application/json" });
    }

    private string Sign(string? subject, IReadOnlyList<string> scopes)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var access = new JsonArray();
        foreach (var scope in scopes)
        {
            var first = scope.IndexOf(':', StringComparison.Ordinal);
            var last = scope.LastIndexOf(':');
            if (first < 0 || last <= first)
            {
                continue;
            }

            if (DeniedRepositories.Contains(scope[(first + 1)..last]))
            {
                continue;
            }

            access.Add(new JsonObject
            {
                ["type"] = scope[..first],
                ["name"] = scope[(first + 1)..last],
                ["actions"] = new JsonArray(scope[(last + 1)..].Split(',').Select(a => (JsonNode)a).ToArray()),
            });
        }

        var header = new JsonObject { ["typ"] = "JWT", ["alg"] = "ES256", ["x5c"] = new JsonArray(Convert.ToBase64String(_certificate.RawData)) };
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["sub"] = subject ?? "",
            ["aud"] = Service,
            ["exp"] = now + 300,
            ["nbf"] = now - 10,
            ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        };
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static List<(string Key, string Value)> Query(string query) =>
        query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => (Uri.UnescapeDataString(p[0].Replace('+', ' ')), p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : ""))
            .ToList();

    public void Dispose()
    {
        _server.Dispose();
        _certificate.Dispose();
        _key.Dispose();
        _dir.Dispose();
    }
}
