using System.Runtime.InteropServices;

namespace Envship.Core.Hashing;

/// <summary>
/// Whether this process can use OpenSSL. .NET on Linux loads libssl on first use of SHA-256, X.509 or TLS and
/// aborts the process (SIGABRT, "No usable version of libssl was found") when no version loads, so envship asks
/// first, once, by trying the same sonames in the same order the runtime's OpenSSL shim does.
/// </summary>
public static class OpenSsl
{
    // The runtime's shim (System.Security.Cryptography.Native, opensslshim.c; the strings of .NET 10's
    // libSystem.Security.Cryptography.Native.OpenSsl) tries CLR_OPENSSL_VERSION_OVERRIDE, then these on Linux
    // (.11 and .111 are FreeBSD's). Probing a name the shim does not try could report OpenSSL where .NET finds none.
    private static readonly string[] _runtimeSonames =
        ["libssl.so.3", "libssl.so.1.1", "libssl.so.1.0.2", "libssl.so.1.0.0", "libssl.so.10"];

    private static readonly Lazy<bool> _available = new(Probe);

    /// <summary>True when .NET's cryptography can load OpenSSL here (always true off Linux, where it does not use OpenSSL).</summary>
    public static bool IsAvailable => _available.Value;

    /// <summary>The names tried, in order: the override's soname first when <c>CLR_OPENSSL_VERSION_OVERRIDE</c> is set.</summary>
    internal static IReadOnlyList<string> Sonames(string? versionOverride) =>
        // The shim ignores an override longer than 32 characters.
        string.IsNullOrEmpty(versionOverride) || versionOverride.Length > 32
            ? _runtimeSonames
            : ["libssl.so." + versionOverride, .. _runtimeSonames];

    /// <summary>
    /// Throws the error for an operation that needs OpenSSL (TLS, certificates) when this machine has none, before
    /// .NET would abort the process.
    /// </summary>
    public static void Require(string what)
    {
        if (!IsAvailable)
        {
            throw new EnvshipException(ExitCode.RemoteUnavailable,
                $"{what} needs TLS, and this machine has no OpenSSL (libssl.so.3 or libssl.so.1.1) for it: install libssl "
                + "(apt-get install libssl3, dnf install openssl-libs), or copy the archive here and deploy from the file.");
        }
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }

        foreach (var name in Sonames(Environment.GetEnvironmentVariable("CLR_OPENSSL_VERSION_OVERRIDE")))
        {
            // Loading libssl also loads the libcrypto it needs, so a missing libcrypto fails here too.
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                NativeLibrary.Free(handle);
                return true;
            }
        }

        return false;
    }
}
