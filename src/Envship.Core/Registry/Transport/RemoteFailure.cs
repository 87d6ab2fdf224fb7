using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Envship.Core.Registry.Transport;

/// <summary>Turns HTTP failures into <see cref="EnvshipException"/>s with exit codes 30, 31 and 32, naming the host, the cause and the fix.</summary>
public static class RemoteFailure
{
    /// <summary>A request that got no HTTP answer: DNS, connection, TLS.</summary>
    public static EnvshipException Unreachable(Uri uri, HttpRequestException exception, string? tlsReason = null)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(exception);
        var authority = uri.GetLeftPart(UriPartial.Authority);
        var message = exception.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => $"cannot resolve the host name {uri.Host}: check the spelling and the DNS settings.",
            HttpRequestError.SecureConnectionError => tlsReason is not null
                ? $"TLS with {authority} failed: {tlsReason}."
                : $"TLS with {authority} failed ({Innermost(exception)}): if the server speaks plain http, use an http:// URL or --insecure; if its CA is private, pass --ca-file.",
            HttpRequestError.ConnectionError when Innermost(exception) is SocketException { SocketErrorCode: SocketError.ConnectionRefused } =>
                $"{authority} refused the connection: is the server running on that port?",
            _ => $"cannot reach {authority} ({Innermost(exception).Message}): check the host, the port and the network.",
        };
        if (exception.HttpRequestError == HttpRequestError.Unknown && HasInner<AuthenticationException>(exception))
        {
            message = $"TLS with {authority} failed: {tlsReason ?? Innermost(exception).Message}.";
        }

        return new EnvshipException(ExitCode.RemoteUnavailable, message, exception);
    }

    /// <summary>
    /// An HTTP answer that is not a success: 401/403 give <see cref="ExitCode.RegistryAuth"/>, 404 <see cref="ExitCode.RemoteNotFound"/>,
    /// anything else <see cref="ExitCode.RemoteUnavailable"/>. <paramref name="what"/> names the thing asked for, e.g. "manifest latest of team/env".
    /// </summary>
    public static async Task<EnvshipException> FromResponseAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var uri = response.RequestMessage?.RequestUri;
        var authority = uri is null ? "the server" : uri.GetLeftPart(UriPartial.Authority);
        var host = uri is null ? "HOST" : uri.Authority;
        var detail = await ErrorDetailAsync(response, cancellationToken).ConfigureAwait(false);
        var said = detail is null ? "" : $" ({detail})";
        var status = (int)response.StatusCode;
        return response.StatusCode switch
        {
            HttpStatusCode.NotFound => new EnvshipException(ExitCode.RemoteNotFound, $"{authority} has no {what}{said}: check the name, the tag or the digest."),
            HttpStatusCode.Unauthorized => new EnvshipException(ExitCode.RegistryAuth, $"{authority} wants credentials for {what}{said}: run 'envship login {host} -u USER --password-stdin'."),
            HttpStatusCode.Forbidden => new EnvshipException(ExitCode.RegistryAuth, $"{authority} denied access to {what}{said}: ask for access rights, or log in as another user with 'envship login {host} -u USER --password-stdin'."),
            _ when status >= 500 => new EnvshipException(ExitCode.RemoteUnavailable, $"{authority} failed with HTTP {status} for {what}{said}: the server has a problem; retry later."),
            _ => new EnvshipException(ExitCode.RemoteUnavailable, $"{authority} answered HTTP {status} to a request for {what}{said}: the server does not speak the protocol envship expects."),
        };
    }

    /// <summary>Maps read failures of a response body (a dropped or stalled transfer) to <see cref="ExitCode.RemoteUnavailable"/>; disposing the stream disposes <paramref name="owner"/> (the response).</summary>
    public static Stream GuardReads(Stream body, Uri source, RemoteOptions options, IDisposable? owner = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new GuardedRemoteStream(body, source, options.StallTimeout, owner);
    }

    /// <summary>The distribution spec's error body (<c>{"errors":[{"code","message"}]}</c>), or the start of a plain-text body.</summary>
    internal static async Task<string?> ErrorDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return null;
        }

        text = text.Trim();
        if (text.Length == 0)
        {
            return null;
        }

        if (text.StartsWith('{'))
        {
            try
            {
                var body = JsonSerializer.Deserialize(text, RemoteErrorJsonContext.Default.DistributionErrorBody);
                var errors = body?.Errors?.Where(e => e.Code is not null || e.Message is not null).Select(e => e.Message is null ? e.Code! : $"{e.Code}: {e.Message}").ToList();
                if (errors is { Count: > 0 })
                {
                    return string.Join("; ", errors);
                }
            }
            catch (JsonException)
            {
            }
        }

        return text.Length > 200 ? text[..200] + "…" : text.ReplaceLineEndings(" ");
    }

    private static Exception Innermost(Exception exception)
    {
        var current = exception;
        while (current.InnerException is not null)
        {
            current = current.InnerException;
        }

        return current;
    }

    private static bool HasInner<T>(Exception exception)
        where T : Exception
    {
        for (var current = exception.InnerException; current is not null; current = current.InnerException)
        {
            if (current is T)
            {
                return true;
            }
        }

        return false;
    }
}

internal sealed record DistributionError(string? Code, string? Message);

internal sealed record DistributionErrorBody(IReadOnlyList<DistributionError>? Errors);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DistributionErrorBody))]
internal sealed partial class RemoteErrorJsonContext : JsonSerializerContext;
