using Envship.Core.Registry.Auth;
using Envship.Core.Registry.Transport;

namespace Envship.Core.Registry;

/// <summary>
/// One registry host: its base URL, the HTTP client from <see cref="RemoteHttp"/> and the authenticator that
/// answers its challenges. Repositories on the same host share it (and its token cache). Dispose it when done.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    private RegistryClient(string registry, Uri baseUri, HttpClient http, bool ownsHttp, RegistryAuthenticator authenticator, RemoteOptions options)
    {
        Registry = registry;
        BaseUri = baseUri;
        _http = http;
        _ownsHttp = ownsHttp;
        Authenticator = authenticator;
        Options = options;
    }

    /// <summary><c>HOST[:PORT]</c> as the reference names it.</summary>
    public string Registry { get; }

    /// <summary><c>https://HOST[:PORT]/</c>, or <c>http://</c> for loopback and <c>--insecure</c>.</summary>
    public Uri BaseUri { get; }

    public RemoteOptions Options { get; }

    public RegistryAuthenticator Authenticator { get; }

    internal HttpClient Http => _http;

    /// <summary>A client for <paramref name="registry"/> (<c>HOST[:PORT]</c>); credentials from <paramref name="credentials"/>, or else as <see cref="CredentialSources.For"/> finds them.</summary>
    public static RegistryClient Create(string registry, RemoteOptions options, ICredentialSource? credentials = null, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        // Docker Hub is named docker.io in references but serves its API from registry-1.docker.io.
        var apiHost = Auth.DockerConfig.IsDockerHub(registry) ? "registry-1.docker.io" : registry;
        var baseUri = new Uri($"{RemoteHttp.RegistryScheme(apiHost, options)}://{apiHost}/");
        var ownsHttp = http is null;
        http ??= RemoteHttp.CreateClient(options);
        var authenticator = new RegistryAuthenticator(http, registry, baseUri, credentials ?? CredentialSources.For(options));
        return new RegistryClient(registry, baseUri, http, ownsHttp, authenticator, options);
    }

    /// <summary>A repository on this registry; it shares this client and does not dispose it.</summary>
    public RegistryRepository Repository(string name) => new(this, name, ownsClient: false);

    /// <summary>Checks the credentials against <c>/v2/</c>; false when the registry wants none.</summary>
    public Task<bool> CheckCredentialsAsync(CancellationToken cancellationToken) => Authenticator.CheckCredentialsAsync(cancellationToken);

    internal Uri Endpoint(string pathAndQuery) => new(BaseUri, pathAndQuery);

    public void Dispose()
    {
        Authenticator.Dispose();
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }
}
