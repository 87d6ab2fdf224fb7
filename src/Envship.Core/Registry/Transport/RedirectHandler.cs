using System.Net;

namespace Envship.Core.Registry.Transport;

/// <summary>
/// Follows redirects by hand: <c>Authorization</c> goes only to the host the caller addressed (blob GETs
/// on real registries redirect to object stores with signed URLs, which must not see the registry's
/// token), a redirect to plain http obeys the same rule as the first request, and connection, DNS and TLS
/// failures become <see cref="ExitCode.RemoteUnavailable"/> errors that name the host and the fix.
/// </summary>
internal sealed class RedirectHandler(RemoteOptions options, TlsTrust trust, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private const int MaxRedirects = 10;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        RemoteHttp.CheckScheme(request.RequestUri!, options);
        var current = request;
        for (var hop = 0; ; hop++)
        {
            var response = await SendOnce(current, cancellationToken).ConfigureAwait(false);
            if (!IsRedirect(response.StatusCode) || response.Headers.Location is not { } location)
            {
                return response;
            }

            // A body cannot be replayed from here; the caller sees the redirect and decides.
            if (current.Content is not null && response.StatusCode is HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect)
            {
                return response;
            }

            if (hop == MaxRedirects)
            {
                response.Dispose();
                throw new EnvshipException(ExitCode.RemoteUnavailable, $"{Authority(request.RequestUri!)} redirected {MaxRedirects} times for {request.RequestUri!.AbsolutePath}; the server is misconfigured.");
            }

            var target = location.IsAbsoluteUri ? location : new Uri(current.RequestUri!, location);
            RemoteHttp.CheckScheme(target, options);
            var next = new HttpRequestMessage(NextMethod(current.Method, response.StatusCode), target) { Version = current.Version };
            foreach (var header in current.Headers)
            {
                if (header.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase) && !SameOrigin(request.RequestUri!, target))
                {
                    continue;
                }

                next.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Dispose();
            current = next;
        }
    }

    private async Task<HttpResponseMessage> SendOnce(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw RemoteFailure.Unreachable(request.RequestUri!, ex, trust.FailureFor(request.RequestUri!.IdnHost));
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EnvshipException(ExitCode.RemoteUnavailable,
                $"{Authority(request.RequestUri!)} did not answer within {options.ConnectTimeout.TotalSeconds:0} s: check the host and port, and that a firewall lets the connection through.", ex);
        }
    }

    private static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static HttpMethod NextMethod(HttpMethod method, HttpStatusCode status) =>
        status == HttpStatusCode.SeeOther && method != HttpMethod.Head ? HttpMethod.Get : method;

    internal static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private static string Authority(Uri uri) => uri.GetLeftPart(UriPartial.Authority);
}
