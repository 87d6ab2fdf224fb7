using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Envship.Core.Registry.Transport;

namespace Envship.Core.Registry.Auth;

/// <summary>A Bearer token and when to stop using it.</summary>
internal sealed record BearerToken(string Value, DateTimeOffset Expires);

/// <summary>
/// Fetches Bearer tokens from a registry's token server (distribution's token spec): GET with Basic credentials
/// or anonymously, or an OAuth2 <c>refresh_token</c> POST when the credential is an identity token.
/// </summary>
internal static class TokenClient
{
    /// <summary>Lifetime when the server does not say (the token spec's default).</summary>
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromSeconds(60);

    public static async Task<BearerToken> FetchAsync(HttpClient http, string registry, AuthChallenge challenge, IReadOnlyList<string> scopes,
        RegistryCredential? credential, CancellationToken cancellationToken)
    {
        var realm = challenge.Parameter("realm");
        if (realm is null || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) || realmUri.Scheme is not ("http" or "https"))
        {
            throw new EnvshipException(ExitCode.RegistryAuth, $"{registry} asked for a Bearer token without a usable realm ('{realm}'): the registry is misconfigured.");
        }

        var service = challenge.Parameter("service");
        using var request = credential?.HasIdentityToken == true
            ? RefreshTokenRequest(realmUri, service, scopes, credential.IdentityToken!)
            : TokenRequest(realmUri, service, scopes, credential);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            var detail = await RemoteFailure.ErrorDetailAsync(response, cancellationToken).ConfigureAwait(false);
            var said = detail is null ? "" : $" ({detail})";
            throw new EnvshipException(ExitCode.RegistryAuth, credential is null
                ? $"the token server of {registry} ({realmUri.GetLeftPart(UriPartial.Path)}) wants credentials{said}: run 'envship login {registry} -u USER --password-stdin'."
                : $"the token server of {registry} ({realmUri.GetLeftPart(UriPartial.Path)}) refused {credential.Describe()}{said}: check the user name and password, then run 'envship login {registry} -u USER --password-stdin'.");
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await RemoteFailure.FromResponseAsync(response, $"token for {registry}", cancellationToken).ConfigureAwait(false);
        }

        TokenResponse? body;
        try
        {
            body = JsonSerializer.Deserialize(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false), TokenJsonContext.Default.TokenResponse);
        }
        catch (JsonException ex)
        {
            throw new EnvshipException(ExitCode.RemoteUnavailable, $"the token server of {registry} ({realmUri.GetLeftPart(UriPartial.Path)}) answered something that is not a token ({ex.Message}).", ex);
        }

        var token = body?.Token is { Length: > 0 } t ? t : body?.AccessToken;
        if (string.IsNullOrEmpty(token))
        {
            throw new EnvshipException(ExitCode.RemoteUnavailable, $"the token server of {registry} ({realmUri.GetLeftPart(UriPartial.Path)}) answered without a token or access_token.");
        }

        var lifetime = body!.ExpiresIn is > 0 and var seconds ? TimeSpan.FromSeconds(seconds) : DefaultLifetime;

        // Stop a little early, so a token does not expire between the check and the request.
        var margin = TimeSpan.FromSeconds(Math.Min(10, lifetime.TotalSeconds / 4));
        return new BearerToken(token, DateTimeOffset.UtcNow + lifetime - margin);
    }

    private static HttpRequestMessage TokenRequest(Uri realm, string? service, IReadOnlyList<string> scopes, RegistryCredential? credential)
    {
        var query = new List<string>();
        if (service is not null)
        {
            query.Add("service=" + Uri.EscapeDataString(service));
        }

        query.AddRange(scopes.Select(s => "scope=" + Uri.EscapeDataString(s)));
        if (credential?.HasPassword == true)
        {
            query.Add("account=" + Uri.EscapeDataString(credential.Username!));
        }

        var builder = new UriBuilder(realm);
        var existing = builder.Query.TrimStart('?');
        builder.Query = string.Join('&', new[] { existing }.Where(q => q.Length > 0).Concat(query));
        var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (credential?.HasPassword == true)
        {
            request.Headers.Authorization = BasicHeader(credential);
        }

        return request;
    }

    private static HttpRequestMessage RefreshTokenRequest(Uri realm, string? service, IReadOnlyList<string> scopes, string identityToken)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "refresh_token"),
            new("refresh_token", identityToken),
            new("client_id", "envship"),
        };
        if (service is not null)
        {
            form.Add(new("service", service));
        }

        if (scopes.Count > 0)
        {
            form.Add(new("scope", string.Join(' ', scopes)));
        }

        return new HttpRequestMessage(HttpMethod.Post, realm) { Content = new FormUrlEncodedContent(form) };
    }

    internal static AuthenticationHeaderValue BasicHeader(RegistryCredential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));
}

internal sealed record TokenResponse
{
    [JsonPropertyName("token")]
    public string? Token { get; init; }

    [JsonPropertyName("access_token")]
    public string? AccessToken { get; init; }

    [JsonPropertyName("expires_in")]
    public int? ExpiresIn { get; init; }
}

[JsonSerializable(typeof(TokenResponse))]
internal sealed partial class TokenJsonContext : JsonSerializerContext;
