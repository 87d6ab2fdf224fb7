using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Envship.Core.Https;

/// <summary>How to reach a server: the system CAs, plus a private CA from <c>--ca-file</c>, or no checks at all with <c>--insecure</c>.</summary>
public sealed record TransportOptions
{
    /// <summary>A PEM file of CA certificates trusted as well as the system's.</summary>
    public string? CaFile { get; init; }

    /// <summary>Plain http:// to any host, and no certificate checks for https://.</summary>
    public bool Insecure { get; init; }
}

/// <summary>
/// The one place a <see cref="HttpMessageHandler"/> for archive downloads is built: TLS trust, redirects, timeouts.
/// Redirects are followed by the handler, which never goes from https to http.
/// </summary>
public static class HttpsTransport
{
    private const int MaxRedirects = 5;

    public static HttpMessageHandler CreateHandler(TransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var extraRoots = options.CaFile is null ? null : LoadCaFile(options.CaFile);
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = MaxRedirects,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.None,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                    options.Insecure || Trusted(certificate, chain, errors, extraRoots),
            },
        };
    }

    /// <summary>The system's verdict, or, when the only fault is an unknown root, a chain built to a CA from <c>--ca-file</c>.</summary>
    private static bool Trusted(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, X509Certificate2Collection? extraRoots)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (extraRoots is null || certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(extraRoots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements.Skip(1))
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf);
    }

    private static X509Certificate2Collection LoadCaFile(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new EnvshipException(ExitCode.Usage, $"--ca-file {path}: cannot read the CA certificates ({ex.Message}). Pass a PEM file holding one or more '-----BEGIN CERTIFICATE-----' blocks.", ex);
        }

        return roots.Count > 0
            ? roots
            : throw new EnvshipException(ExitCode.Usage, $"--ca-file {path}: no certificate in this file. Pass a PEM file holding one or more '-----BEGIN CERTIFICATE-----' blocks.");
    }

    /// <summary>Maps a failure to reach the server to exit 31, naming TLS and <c>--ca-file</c> when the certificate was refused.</summary>
    public static EnvshipException Unreachable(Uri url, Exception cause)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(cause);
        if (Find<AuthenticationException>(cause) is { } tls)
        {
            return new EnvshipException(
                ExitCode.RemoteUnavailable,
                $"{url}: the TLS handshake failed: the server's certificate is not trusted ({tls.Message}). If the server uses a private CA, pass its certificate with --ca-file CA.pem; nothing was written.",
                cause);
        }

        return new EnvshipException(
            ExitCode.RemoteUnavailable,
            $"{url}: cannot reach the server ({Describe(cause)}). Check the URL and the network, then retry; nothing was written.",
            cause);
    }

    private static string Describe(Exception cause) =>
        Find<System.Net.Sockets.SocketException>(cause)?.Message ?? cause.GetBaseException().Message;

    private static T? Find<T>(Exception? ex)
        where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T found)
            {
                return found;
            }
        }

        return null;
    }
}
