using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Envship.Core.Hashing;

namespace Envship.Core.Registry.Transport;

/// <summary>
/// Server certificate checks: the system's roots first, then the <c>--ca-file</c> roots through a chain
/// built with a custom trust store. The host name is always checked. Why a handshake failed is kept per
/// host, so the error can say what to fix.
/// </summary>
internal sealed class TlsTrust
{
    private readonly X509Certificate2Collection _extraRoots;
    private readonly ConcurrentDictionary<string, string> _lastFailure = new(StringComparer.OrdinalIgnoreCase);

    private TlsTrust(string? caFile, X509Certificate2Collection extraRoots)
    {
        CaFile = caFile;
        _extraRoots = extraRoots;
    }

    public string? CaFile { get; }

    public static TlsTrust Load(string? caFile)
    {
        var roots = new X509Certificate2Collection();
        if (caFile is null)
        {
            return new TlsTrust(null, roots);
        }

        // Reading certificates loads OpenSSL, and .NET aborts the process when there is none.
        OpenSsl.Require($"--ca-file {caFile}");

        try
        {
            roots.ImportFromPemFile(caFile);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new EnvshipException(ExitCode.Usage, $"--ca-file {caFile}: cannot read certificates ({ex.Message}); give a PEM file of CA certificates.", ex);
        }

        if (roots.Count == 0)
        {
            throw new EnvshipException(ExitCode.Usage, $"--ca-file {caFile}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it; give the CA certificate in PEM form.");
        }

        return new TlsTrust(caFile, roots);
    }

    /// <summary>Why the last handshake with <paramref name="host"/> was refused, if a certificate check refused it.</summary>
    public string? FailureFor(string host) => _lastFailure.TryGetValue(host, out var reason) ? reason : null;

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var host = (sender as SslStream)?.TargetHostName ?? "";
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable) || certificate is null)
        {
            return Refuse(host, "the server sent no certificate");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return Refuse(host, $"its certificate is not valid for the name {host}");
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (_extraRoots.Count == 0)
        {
            return Refuse(host, $"its certificate is not trusted ({Describe(chain)}); pass --ca-file with the PEM of the CA that signed it");
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_extraRoots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (custom.Build(leaf))
        {
            return true;
        }

        return Refuse(host, $"its certificate is trusted neither by the system nor by --ca-file {CaFile} ({Describe(custom)}); give the CA that signed it");
    }

    private bool Refuse(string host, string reason)
    {
        _lastFailure[host] = reason;
        return false;
    }

    private static string Describe(X509Chain? chain)
    {
        if (chain is null)
        {
            return "no chain";
        }

        var statuses = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct().ToList();
        return statuses.Count == 0 ? "chain errors" : string.Join("; ", statuses);
    }
}
