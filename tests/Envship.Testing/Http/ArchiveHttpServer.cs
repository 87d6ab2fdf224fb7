using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Envship.Testing.Http;

/// <summary>One file the server holds; its ETag changes with its content.</summary>
public sealed record ServedFile(byte[] Content, string ETag)
{
    public static ServedFile Of(string path) => Of(File.ReadAllBytes(path));

    public static ServedFile Of(byte[] content) =>
        new(content, $"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))[..16]}\"");
}

/// <summary>A GET the server answered: the path, the request headers, the status and how many body bytes went out.</summary>
public sealed record ServedRequest(string Path, IReadOnlyDictionary<string, string> Headers, int Status, long BytesSent)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// A static file server on 127.0.0.1 (https with a test certificate, or plain http) that does what the
/// download code must cope with: ranges with <c>If-Range</c> and ETags, 404s, a connection cut after a
/// given offset (once or every time), and a file that changes between requests.
/// </summary>
public sealed class ArchiveHttpServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly X509Certificate2? _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly DateTimeOffset _lastModified = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private int _cutsLeft;

    public ArchiveHttpServer(X509Certificate2? certificate)
    {
        _certificate = certificate;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptLoop);
    }

    public int Port { get; }
    public string BaseUrl => $"{(_certificate is null ? "http" : "https")}://127.0.0.1:{Port}";
    public ConcurrentDictionary<string, ServedFile> Files { get; } = new(StringComparer.Ordinal);
    public ConcurrentQueue<ServedRequest> Requests { get; } = new();

    /// <summary>Called after each request is answered, with how many were answered so far: lets a test change a file between requests.</summary>
    public Action<int>? AfterRequest { get; set; }

    /// <summary>The file offset a cut response stops at; see <see cref="CutAt"/>.</summary>
    public long CutOffset { get; private set; } = long.MaxValue;

    /// <summary>The next <paramref name="times"/> responses with a body stop once the file offset reaches <paramref name="offset"/>, and the connection is dropped.</summary>
    public void CutAt(long offset, int times)
    {
        CutOffset = offset;
        _cutsLeft = times;
    }

    public string Url(string path) => $"{BaseUrl}/{path}";

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
                    if (await ReadHead(stream) is not var (path, headers))
                    {
                        return;
                    }

                    var (status, sent) = await Answer(stream, path, headers, client);
                    Requests.Enqueue(new ServedRequest(path, headers, status, sent));
                    AfterRequest?.Invoke(Requests.Count);
                }
            }
            catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
                // The client hung up, or refused our certificate: what some tests want.
            }
        }
    }

    private async Task<(int Status, long Sent)> Answer(Stream stream, string path, Dictionary<string, string> headers, TcpClient client)
    {
        if (!Files.TryGetValue(path.TrimStart('/'), out var file))
        {
            await WriteHead(stream, 404, "Not Found", 0, []);
            return (404, 0);
        }

        var length = file.Content.LongLength;
        long start = 0;
        var status = 200;
        var extra = new List<string> { $"ETag: {file.ETag}", $"Last-Modified: {_lastModified:R}", "Accept-Ranges: bytes" };
        var ifRange = headers.GetValueOrDefault("If-Range");
        if (headers.GetValueOrDefault("Range") is { } range && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-')
            && (ifRange is null || ifRange == file.ETag))
        {
            start = long.Parse(range["bytes=".Length..^1], CultureInfo.InvariantCulture);
            if (start >= length)
            {
                await WriteHead(stream, 416, "Range Not Satisfiable", 0, [$"Content-Range: bytes */{length}"]);
                return (416, 0);
            }

            status = 206;
            extra.Add($"Content-Range: bytes {start}-{length - 1}/{length}");
        }

        await WriteHead(stream, status, status == 206 ? "Partial Content" : "OK", length - start, extra);
        var end = length;
        var cut = Interlocked.Decrement(ref _cutsLeft) >= 0;
        if (cut)
        {
            end = Math.Max(start, Math.Min(length, CutOffset));
        }

        try
        {
            await stream.WriteAsync(file.Content.AsMemory((int)start, (int)(end - start)));
            await stream.FlushAsync();
        }
        catch (IOException)
        {
            // The client stopped reading (it had what it needed): recorded with an unknown count.
            return (status, -1);
        }

        if (cut && end < length)
        {
            // The connection ends short of Content-Length, with no TLS close_notify: a dropped link. A FIN rather
            // than a RST, so the bytes already sent do arrive and the resume offset is exactly the cut.
            client.Client.Shutdown(SocketShutdown.Both);
            client.Client.Close();
        }

        return (status, end - start);
    }

    private static async Task WriteHead(Stream stream, int status, string reason, long contentLength, IEnumerable<string> headers)
    {
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {reason}\r\nContent-Length: {contentLength}\r\nConnection: close\r\n");
        foreach (var header in headers)
        {
            head.Append(header).Append("\r\n");
        }

        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
    }

    private static async Task<(string Path, Dictionary<string, string> Headers)?> ReadHead(Stream stream)
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

        var lines = Encoding.ASCII.GetString([.. buffer]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        return (lines[0].Split(' ')[1], headers);
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
