namespace Envship.Testing.Registry;

/// <summary>
/// A loopback proxy in front of a real registry that answers some requests itself (e.g. 413 to a PUT with a body,
/// as a proxy with a body limit does) and forwards the rest, rewriting <c>Location</c> to point back at itself.
/// </summary>
public sealed class RefusingProxy : IDisposable
{
    private readonly HttpClient _http = new();
    private readonly LoopbackHttpServer _server;

    public RefusingProxy(RegistryServer registry, Func<LoopbackRequest, LoopbackResponse?> refuse)
    {
        var upstream = $"http://{registry.Host}";
        _server = new LoopbackHttpServer(request => refuse(request) ?? Forward(upstream, request));
    }

    public string Host => $"127.0.0.1:{_server.Port}";

    public IEnumerable<LoopbackRequest> Requests => _server.Requests;

    private LoopbackResponse Forward(string upstream, LoopbackRequest request)
    {
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(upstream + request.Target));
        if (request.Method is "PUT" or "POST" or "PATCH")
        {
            message.Content = new ByteArrayContent(request.Body);
            foreach (var name in new[] { "Content-Type", "Content-Range" })
            {
                if (request.Header(name) is { } value)
                {
                    message.Content.Headers.TryAddWithoutValidation(name, value);
                }
            }
        }

        foreach (var name in new[] { "Accept", "Authorization", "Range" })
        {
            if (request.Header(name) is { } value)
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = _http.Send(message);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name is not ("Content-Length" or "Transfer-Encoding" or "Connection"))
            {
                headers[name] = string.Join(", ", values).Replace(upstream, $"http://{Host}", StringComparison.Ordinal);
            }
        }

        using var body = new MemoryStream();
        response.Content.ReadAsStream().CopyTo(body);
        return new LoopbackResponse((int)response.StatusCode, body.ToArray(), headers);
    }

    public void Dispose()
    {
        _server.Dispose();
        _http.Dispose();
    }
}
