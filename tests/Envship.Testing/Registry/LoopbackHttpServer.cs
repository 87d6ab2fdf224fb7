using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Envship.Testing.Registry;

/// <summary>One request as <see cref="LoopbackHttpServer"/> read it.</summary>
public sealed record LoopbackRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>An answer for <see cref="LoopbackHttpServer"/> to send.</summary>
public sealed record LoopbackResponse(int Status, byte[] Body, IReadOnlyDictionary<string, string>? Headers = null)
{
    /// <summary>The Content-Length to announce when it is not the body's (a transfer cut short); null for the body's.</summary>
    public long? AnnouncedLength { get; init; }

    /// <summary>Keep the connection open after the body instead of closing it (a server that stalls).</summary>
    public bool Stall { get; init; }

    public static LoopbackResponse Text(int status, string body, IReadOnlyDictionary<string, string>? headers = null) =>
        new(status, Encoding.UTF8.GetBytes(body), headers);
}

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 (plain, or TLS with a given certificate) for the cases no registry
/// produces on demand: redirects, test CAs, token issuers. One request per connection; every request is recorded.
/// </summary>
public sealed class LoopbackHttpServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly X509Certificate2? _certificate;
    private readonly Func<LoopbackRequest, LoopbackResponse> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public LoopbackHttpServer(Func<LoopbackRequest, LoopbackResponse> handler, X509Certificate2? certificate = null)
    {
        _handler = handler;
        _certificate = certificate;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptLoop);
    }

    public int Port { get; }

    /// <summary><c>http(s)://127.0.0.1:PORT</c>.</summary>
    public string BaseUrl => $"{(_certificate is null ? "http" : "https")}://127.0.0.1:{Port}";

    public ConcurrentQueue<LoopbackRequest> Requests { get; } = new();

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                    await ssl.AuthenticateAsServerAsync(_certificate, clientCertificateRequired: false, checkCertificateRevocation: false);
                    stream = ssl;
                }

                await using (stream)
                {
                    var request = await ReadRequest(stream);
                    if (request is null)
                    {
                        return;
                    }

                    Requests.Enqueue(request);
                    var response = _handler(request);
                    var head = new StringBuilder();
                    head.Append(CultureInvariant($"HTTP/1.1 {response.Status} X\r\nContent-Length: {response.AnnouncedLength ?? response.Body.Length}\r\nConnection: close\r\n"));
                    foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
                    {
                        head.Append(CultureInvariant($"{name}: {value}\r\n"));
                    }

                    head.Append("\r\n");
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
                    if (request.Method != "HEAD")
                    {
                        await stream.WriteAsync(response.Body);
                    }

                    await stream.FlushAsync();
                    if (response.Stall)
                    {
                        await Task.Delay(Timeout.Infinite, _stop.Token);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or ObjectDisposedException or OperationCanceledException)
            {
                // The client hung up or refused our certificate: that is what some tests want.
            }
        }
    }

    private static string CultureInvariant(FormattableString text) => FormattableString.Invariant(text);

    private static async Task<LoopbackRequest?> ReadRequest(Stream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 4 || !(buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return null;
            }

            buffer.Add(one[0]);
        }

        var lines = Encoding.ASCII.GetString(buffer.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var parts = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        var body = Array.Empty<byte>();
        if (headers.TryGetValue("Content-Length", out var length) && int.Parse(length, System.Globalization.CultureInfo.InvariantCulture) is > 0 and var n)
        {
            body = new byte[n];
            await stream.ReadExactlyAsync(body);
        }

        return new LoopbackRequest(parts[0], parts[1], headers, body);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _accepting.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }
}
