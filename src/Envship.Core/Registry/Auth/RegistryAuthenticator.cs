using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;

namespace Envship.Core.Registry.Auth;

/// <summary>
/// Answers a registry's 401 challenges for the requests of one registry host: Basic with the stored
/// credential, or a Bearer token for the request's scopes, cached per scope until it expires; the request is
/// retried once. It knows nothing about manifests or blobs: callers say the scopes a request needs.
/// </summary>
public sealed class RegistryAuthenticator : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _registry;
    private readonly Uri _pingUri;
    private readonly Lazy<Task<RegistryCredential?>> _credential;
    private readonly ConcurrentDictionary<string, BearerToken> _tokens = new(StringComparer.Ordinal);

    // One token fetch at a time: parallel layer downloads that all meet their first 401 together share one token.
    private readonly SemaphoreSlim _fetching = new(1, 1);
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

        string? sent;
        using (var first = create())
        {
            sent = await AuthorizeAsync(first, scopes, cancellationToken).ConfigureAwait(false);
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
                await TokenForAsync(challenge, scopes, wanted, rejected: sent, cancellationToken).ConfigureAwait(false);
            }
            else if (sent is not null || await _credential.Value.ConfigureAwait(false) is null)
            {
                throw await DeniedAsync(scopes, sent is not null).ConfigureAwait(false);
            }
        }

        using var retry = create();
        sent = await AuthorizeAsync(retry, scopes, cancellationToken).ConfigureAwait(false);
        var retried = await _http.SendAsync(retry, completion, cancellationToken).ConfigureAwait(false);
        if (retried.StatusCode == HttpStatusCode.Unauthorized)
        {
            retried.Dispose();
            throw await DeniedAsync(scopes, sent is not null).ConfigureAwait(false);
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

    /// <summary>Puts the Authorization the registry wants on <paramref name="request"/>; returns its value, or null when it goes anonymously.</summary>
    private async Task<string?> AuthorizeAsync(HttpRequestMessage request, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        var challenge = _challenge;
        if (challenge is null)
        {
            return null;
        }

        if (challenge.IsBasic)
        {
            var credential = await _credential.Value.ConfigureAwait(false);
            if (credential?.HasPassword != true)
            {
                return null;
            }

            request.Headers.Authorization = TokenClient.BasicHeader(credential);
            return request.Headers.Authorization.Parameter;
        }

        var token = await TokenForAsync(challenge, scopes, scopes, rejected: null, cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        return token.Value;
    }

    /// <summary>The cached token for <paramref name="scopes"/> unless it expired or is the one just <paramref name="rejected"/>; else a new one for <paramref name="requested"/>.</summary>
    private async Task<BearerToken> TokenForAsync(AuthChallenge challenge, IReadOnlyList<string> scopes, IReadOnlyList<string> requested, string? rejected,
        CancellationToken cancellationToken)
    {
        var key = Key(scopes);
        if (Usable(key, rejected) is { } cached)
        {
            return cached;
        }

        await _fetching.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Usable(key, rejected) is { } fetchedMeanwhile)
            {
                return fetchedMeanwhile;
            }

            var credential = await _credential.Value.ConfigureAwait(false);
            var token = await TokenClient.FetchAsync(_http, _registry, challenge, requested, credential, cancellationToken).ConfigureAwait(false);
            _tokens[key] = token;
            return token;
        }
        finally
        {
            _fetching.Release();
        }
    }

    private BearerToken? Usable(string key, string? rejected) =>
        _tokens.TryGetValue(key, out var token) && token.Expires > DateTimeOffset.UtcNow && token.Value != rejected ? token : null;

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

    public void Dispose() => _fetching.Dispose();
}
