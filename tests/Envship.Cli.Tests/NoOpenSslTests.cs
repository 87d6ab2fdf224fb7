using Envship.Cli.Tests.Fixtures;
using Envship.Testing;
using Envship.Testing.Registry;

namespace Envship.Cli.Tests;

/// <summary>
/// envship must never be the reason a deploy fails on a host with nothing but libc: the native binary, run where
/// every libssl and libcrypto is hidden (a private mount namespace with /dev/null bound over each), packs, deploys,
/// verifies, signs and talks to a loopback registry; https gets a clear error instead of .NET's abort.
/// </summary>
public sealed class NoOpenSslTests : IDisposable
{
    // Binds /dev/null over every libssl and libcrypto the loader knows (symlinks resolved), then runs the command.
    private const string HideOpenSsl = """
        for library in $(ldconfig -p | awk '/(libssl|libcrypto)/ {print $NF}' | xargs -n1 readlink -f | sort -u); do
          mount --bind /dev/null "$library" || exit 97
        done
        exec "$@"
        """;

    private readonly TinyEnvironment _tiny = new();

    public void Dispose() => _tiny.Dispose();

    [Fact]
    public void The_native_binary_packs_deploys_verifies_and_signs_without_OpenSSL_and_refuses_https_clearly()
    {
        var envship = NativeEnvship.Binary();
        var work = _tiny.Work;

        // First: inside the namespace OpenSSL really cannot be loaded.
        var probe = WithoutOpenSsl(["python3", "-c", """
            import ctypes, sys
            for name in ("libssl.so.3", "libcrypto.so.3", "libssl.so.1.1", "libssl.so"):
                try:
                    ctypes.CDLL(name); print("loaded " + name); sys.exit(1)
                except OSError:
                    pass
            print("no libssl")
            """]);
        Assert.True(probe.ExitCode == 0 && probe.StdOut.Contains("no libssl", StringComparison.Ordinal), $"OpenSSL is still loadable in the namespace ({probe.ExitCode}):\n{probe.StdOut}\n{probe.StdErr}");

        // Keys (random bytes), then a signed pack: the trusted comment carries the archive's SHA-256.
        var publicKey = work.Combine("k.pub");
        Run(envship, "keygen", "-W", "-p", publicKey, "-s", work.Combine("k.key"));
        var archive = work.Combine("tiny-native.tar.zst");
        var destination = work.Combine("deployed", "somewhere-else", "tiny-env");
        Run(envship, "pack", "-p", _tiny.Prefix, "-o", archive, "--sign", work.Combine("k.key"), "-q");
        Run(envship, "deploy", archive, "--prefix", destination, "--verify-key", publicKey, "--require-signature", "-q");
        Assert.Contains("clean", Run(envship, "verify", destination), StringComparison.Ordinal);
        Assert.Equal($"prefix={destination}\nlibs={destination}/lib\n", File.ReadAllText(Path.Combine(destination, "lib", "config.txt")));

        // The digest signed without OpenSSL is the archive's SHA-256 as sha256sum computes it.
        var sha256sum = ProcessRunner.RunChecked("sha256sum", [archive]).StdOut.Split(' ')[0];
        Assert.Contains("sha256:" + sha256sum, Run(envship, "verify-signature", archive, "-p", publicKey), StringComparison.Ordinal);

        var https = WithoutOpenSsl([envship, "deploy", "https://example.invalid/env.tar.zst", "--prefix", work.Combine("from-https")]);
        Assert.NotEqual(134, https.ExitCode);
        Assert.Equal(31, https.ExitCode);
        Assert.Contains("no OpenSSL", https.StdErr, StringComparison.Ordinal);
        Assert.Contains("deploy from the file", https.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("No usable version of libssl", https.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(work.Combine("from-https")), "the failed https deploy left its destination behind");
    }

    [Fact]
    public void The_native_binary_pushes_to_and_deploys_from_a_loopback_registry_over_http_without_OpenSSL()
    {
        var envship = NativeEnvship.Binary();
        using var registry = RegistryServer.StartAnonymous();
        var reference = $"oci://{registry.Host}/nossl/tiny:1";
        var destination = _tiny.Work.Combine("from-registry", "tiny-env");

        Run(envship, "push", "-p", _tiny.Prefix, reference);
        Run(envship, "deploy", reference, "--prefix", destination, "--no-cache", "-q");
        Assert.Contains("clean", Run(envship, "verify", destination), StringComparison.Ordinal);
    }

    private static string Run(string envship, params string[] args)
    {
        var result = WithoutOpenSsl([envship, .. args]);
        Assert.True(result.ExitCode == 0, $"envship {string.Join(' ', args)} without OpenSSL exited {result.ExitCode}:\n{result.StdOut}\n{result.StdErr}");
        return result.StdOut;
    }

    private static ProcessResult WithoutOpenSsl(IReadOnlyList<string> command)
    {
        // Binding over system files needs a mount namespace: as root, or as root of a user namespace.
        var args = new List<string>();
        if (!Environment.IsPrivilegedProcess)
            args.Add("--map-root-user");
        args.AddRange(["--mount", "--propagation", "private", "--", "/bin/sh", "-c", HideOpenSsl, "envship-no-openssl"]);
        args.AddRange(command);
        var result = ProcessRunner.Run("unshare", args, timeout: TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode != 97, "could not hide OpenSSL (unshare --mount needs root or user namespaces):\n" + result.StdErr);
        return result;
    }
}
