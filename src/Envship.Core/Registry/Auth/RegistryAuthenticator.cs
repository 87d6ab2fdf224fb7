using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;

namespace Envship.Core.Registry.Auth;

/// <summary>
/// Answers a registry's 401 challenges for the requests of one registry host: Basic with the stored
/// credential, or a Bearer token for the request's scopes, cached per scope until it expires; the request is
/// retried once. It knows nothing about manifests or blobs: callers say the scopes a request needs.
/// </summary>
public sealed class RegistryAuthenticator
{
    private readonly HttpClient _http;
    private readonly string _registry;
    private readonly Uri _pingUri;
    private readonly Lazy<Task<RegistryCredential?>> _credential;
    private readonly ConcurrentDictionary<string, BearerToken> _tokens = new(StringComparer.Ordinal);
    private volatile AuthChallenge? _challenge;
    private volatile bool _pinged;

    public RegistryAuthenticator(HttpClient http, string registry, Uri baseUri, ICredentialSource credentials)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        ArgumentNullException.ThrowIfNull(credentials);
        _http = http;
        _registry = registry;
        _pingUri = new Uri(baseUri, "/v2/");
        _credential = new Lazy<Task<RegistryCredential?>>(() => credentials.GetAsync(registry, CancellationToken.None));
    }

    /// <summary>The scope a request on a repository needs, e.g. <c>repository:team/env:pull,push</c>.</summary>
    public static string RepositoryScope(string repository, bool push) => $"repository:{repository}:{(push ? "pull,push" : "pull")}";

    /// <summary>
    /// Sends the request <paramref name="create"/> builds, authenticating as the registry asks. A request whose body
    /// cannot be sent twice (<paramref name="replayable"/> false) is sent only once the scheme is known and its
    /// credentials ready, so a blob never goes out to be refused; if it is refused anyway, the 401 is returned.
    /// A 401 that remains after authenticating throws <see cref="ExitCode.RegistryAuth"/>.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, IReadOnlyList<string> scopes, bool replayable,
        HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(scopes);
        if (!replayable && _challenge is null && !_pinged)
        {
            await PingAsync(cancellationToken).ConfigureAwait(false);
        }

        var sentAuthorization = false;
        using (var first = create())
        {
            sentAuthorization = await AuthorizeAsync(first, scopes, cancellationToken).ConfigureAwait(false);
            var response = await _http.SendAsync(first, completion, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Unauthorized || !replayable)
            {
                return response;
            }

            var challenge = AuthChallenge.From(response).FirstOrDefault(c => c.IsBearer || c.IsBasic);
            if (challenge is null)
            {
                return response;
            }

            response.Dispose();
            _challenge = challenge;
            if (challenge.IsBearer)
            {
                var wanted = scopes.Concat(challenge.Parameter("scope") is { } s ? s.Split(' ', StringSplitOptions.RemoveEmptyEntries) : []).Distinct().ToList();
                _tokens[Key(scopes)] = await FetchTokenAsync(challenge, wanted, cancellationToken).ConfigureAwait(false);
            }
            else if (sentAuthorization || await _credential.Value.ConfigureAwait(false) is null)
            {
                throw await DeniedAsync(scopes, sentAuthorization).ConfigureAwait(false);
            }
        }

        using var retry = create();
        sentAuthorization = await AuthorizeAsync(retry, scopes, cancellationToken).ConfigureAwait(false);
        var retried = await _http.SendAsync(retry, completion, cancellationToken).ConfigureAwait(false);
        if (retried.StatusCode == HttpStatusCode.Unauthorized)
        {
            retried.Dispose();
            throw await DeniedAsync(scopes, sentAuthorization).ConfigureAwait(false);
        }

        return retried;
    }

    /// <summary>
    /// Checks the credential against <c>/v2/</c> the way <c>docker login</c> does: Basic on the registry, or a token
    /// for no scope from its token server. Returns false when the registry wants no credentials at all.
    /// </summary>
    public async Task<bool> CheckCredentialsAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, _pingUri), [], replayable: true, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new EnvshipException(ExitCode.RemoteNotFound,
                $"{_pingUri.GetLeftPart(UriPartial.Authority)} has no registry API at /v2/: it is not an OCI registry; check the host and the port.");
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await Transport.RemoteFailure.FromResponseAsync(response, "registry API (/v2/)", cancellationToken).ConfigureAwait(false);
        }

        return _challenge is not null;
    }

    private async Task PingAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(_pingUri, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            _challenge = AuthChallenge.From(response).FirstOrDefault(c => c.IsBearer || c.IsBasic);
        }

        _pinged = true;
    }

    private async Task<bool> AuthorizeAsync(HttpRequestMessage request, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        var challenge = _challenge;
        if (challenge is null)
        {
            return false;
        }

        if (challenge.IsBasic)
        {
            var credential = await _credential.Value.ConfigureAwait(false);
            if (credential?.HasPassword != true)
            {
                return false;
            }

            request.Headers.Authorization = TokenClient.BasicHeader(credential);
            return true;
        }

        var key = Key(scopes);
        if (!_tokens.TryGetValue(key, out var token) || token.Expires <= DateTimeOffset.UtcNow)
        {
            token = await FetchTokenAsync(challenge, scopes, cancellationToken).ConfigureAwait(false);
            _tokens[key] = token;
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        return true;
    }

    private async Task<BearerToken> FetchTokenAsync(AuthChallenge challenge, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        var credential = await _credential.Value.ConfigureAwait(false);
        return await TokenClient.FetchAsync(_http, _registry, challenge, scopes, credential, cancellationToken).ConfigureAwait(false);
    }

    private async Task<EnvshipException> DeniedAsync(IReadOnlyList<string> scopes, bool sentAuthorization)
    {
        var credential = await _credential.Value.ConfigureAwait(false);
        var what = Describe(scopes);
        if (credential is null)
        {
            return new EnvshipException(ExitCode.RegistryAuth,
                $"{_registry} wants credentials for {what} and none are stored for it: run 'envship login {_registry} -u USER --password-stdin' (or add it to the docker config.json).");
        }

        return new EnvshipException(ExitCode.RegistryAuth, sentAuthorization
            ? $"{_registry} refused {credential.Describe()} for {what}: check the user name, the password and this user's rights, then run 'envship login {_registry} -u USER --password-stdin'."
            : $"{_registry} wants credentials for {what}, but {credential.Describe()} has no password envship can send: run 'envship login {_registry} -u USER --password-stdin'.");
    }

    private static string Describe(IReadOnlyList<string> scopes)
    {
        if (scopes.Count == 0)
        {
            return "its API";
        }

        return string.Join(" and ", scopes.Select(scope =>
        {
            var parts = scope.Split(':');
            return parts.Length == 3 && parts[0] == "repository" ? $"{parts[2]} access to {parts[1]}" : scope;
        }));
    }

    private static string Key(IReadOnlyList<string> scopes) => string.Join(' ', scopes.Order(StringComparer.Ordinal));
}
