using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Envship.Core.Deploy;
using Envship.Core.Hashing;

namespace Envship.Core.Registry.Transport;

/// <summary>
/// The one factory of HTTP clients for every remote operation in envship (registries, token servers,
/// https:// archives): system CAs plus <c>--ca-file</c>, the plain-http rule, redirects followed by hand
/// so credentials never reach another host, a User-Agent, and a connect timeout but no whole-request one.
/// </summary>
public static class RemoteHttp
{
    public static string UserAgent { get; } = $"envship/{Deployer.EnvshipVersion}";

    /// <summary>A client for <paramref name="options"/>; the caller disposes it. Failures still surface as <see cref="HttpRequestException"/>: map them with <see cref="RemoteFailure"/>.</summary>
    public static HttpClient CreateClient(RemoteOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var trust = TlsTrust.Load(options.CaFile);
        var sockets = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            AutomaticDecompression = DecompressionMethods.None,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = trust.Validate },
        };
        var client = new HttpClient(new RedirectHandler(options, trust, sockets), disposeHandler: true)
        {
            // Blobs may be gigabytes on a slow link: no whole-request limit; connect has its own.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("envship", Deployer.EnvshipVersion));
        return client;
    }

    /// <summary>True for 127.0.0.0/8, ::1 and <c>localhost</c>, where plain http is always allowed.</summary>
    public static bool IsLoopback(string host)
    {
        var bare = host.Trim('[', ']');
        if (string.Equals(bare, "localhost", StringComparison.OrdinalIgnoreCase) || bare.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(bare, out var address) && IPAddress.IsLoopback(address);
    }

    /// <summary>Refuses plain <c>http://</c> to a host that is not loopback unless <see cref="RemoteOptions.Insecure"/>.</summary>
    public static void CheckScheme(Uri uri, RemoteOptions options)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(options);
        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            // Checked before any connection: .NET aborts the process when TLS finds no libssl.
            OpenSsl.Require(uri.GetLeftPart(UriPartial.Authority));
            return;
        }

        if (uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new EnvshipException(ExitCode.Usage, $"{uri}: only https:// and http:// are supported.");
        }

        if (!options.Insecure && !IsLoopback(uri.Host))
        {
            throw new EnvshipException(ExitCode.Usage,
                $"{uri.GetLeftPart(UriPartial.Authority)} would be plain http: anyone on the network could read or change what is sent; use https, or pass --insecure if this network is trusted.");
        }
    }

    /// <summary>The scheme envship uses for a registry host: http for loopback and with <c>--insecure</c>, https otherwise.</summary>
    public static string RegistryScheme(string host, RemoteOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Insecure || IsLoopback(HostWithoutPort(host)) ? Uri.UriSchemeHttp : Uri.UriSchemeHttps;
    }

    internal static string HostWithoutPort(string hostAndPort)
    {
        if (hostAndPort.StartsWith('['))
        {
            var close = hostAndPort.IndexOf(']', StringComparison.Ordinal);
            return close < 0 ? hostAndPort : hostAndPort[..(close + 1)];
        }

        var colon = hostAndPort.LastIndexOf(':');
        return colon < 0 ? hostAndPort : hostAndPort[..colon];
    }
}
