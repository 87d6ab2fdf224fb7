using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Envship.Testing.Registry;

/// <summary>
/// Debian's <c>docker-registry</c> (distribution 2.8) on 127.0.0.1 at a free port, with its storage in a
/// temporary directory: anonymous, or behind htpasswd Basic auth. Stopped by PID on dispose.
/// </summary>
public sealed class RegistryServer : IDisposable
{
    public const string Binary = "/usr/bin/docker-registry";

    private readonly TempDirectory _root;
    private readonly Process _process;

    private RegistryServer(TempDirectory root, Process process, int port, string? user, string? password)
    {
        _root = root;
        _process = process;
        Port = port;
        User = user;
        Password = password;
    }

    public int Port { get; }

    /// <summary><c>127.0.0.1:PORT</c>, the host part of an <c>oci://</c> reference.</summary>
    public string Host => $"127.0.0.1:{Port}";

    public string? User { get; }
    public string? Password { get; }

    /// <summary>Where the registry keeps blobs: <c>docker/registry/v2/blobs/sha256/AB/ABCD…/data</c>.</summary>
    public string StorageRoot => _root.Combine("storage");

    /// <summary>The data file of a blob in the registry's storage, for tests that tamper with it.</summary>
    public string BlobDataPath(string digest)
    {
        var hex = digest["sha256:".Length..];
        return Path.Combine(StorageRoot, "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
    }

    /// <summary>A registry anyone may push to.</summary>
    public static RegistryServer StartAnonymous() => Start(null, null, extraConfig: "");

    /// <summary>A registry that wants <paramref name="user"/> and <paramref name="password"/> (htpasswd, bcrypt, made with Debian's <c>htpasswd</c>).</summary>
    public static RegistryServer StartWithBasicAuth(string user = "ci", string password = "s3cret-pass")
    {
        return Start(user, password, extraConfig: null);
    }

    /// <summary>Starts the registry with <paramref name="authConfig"/> as the <c>auth:</c> section of its config (YAML, indented by two spaces).</summary>
    public static RegistryServer StartWithAuthConfig(string authConfig) => Start(null, null, authConfig);

    private static RegistryServer Start(string? user, string? password, string? extraConfig)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} is missing: run the tests through scripts/test.sh, which installs Debian's docker-registry.");
        }

        var root = new TempDirectory("envship-registry-");
        try
        {
            var auth = extraConfig ?? "";
            if (user is not null)
            {
                var htpasswd = root.Combine("htpasswd");
                var made = ProcessRunner.Run("htpasswd", ["-Bbn", user, password!]);
                if (made.ExitCode != 0)
                {
                    throw new InvalidOperationException($"htpasswd failed: {made.StdErr}");
                }

                File.WriteAllText(htpasswd, made.StdOut.Trim() + "\n");
                auth = $"  htpasswd:\n    realm: envship-test\n    path: {htpasswd}\n";
            }

            var port = FreePort();
            var config = root.Combine("config.yml");
            File.WriteAllText(config, $"""
                version: 0.1
                log:
                  level: warn
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: {root.Combine("storage")}
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:{port}
                  secret: envship-test-secret
                {(auth.Length > 0 ? "auth:\n" + auth : "")}
                """);
            var startInfo = new ProcessStartInfo(Binary)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            startInfo.ArgumentList.Add("serve");
            startInfo.ArgumentList.Add(config);
            var process = FreshExecutable.Start(startInfo);
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new RegistryServer(root, process, port, user, password);
            server.WaitUntilListening();
            return server;
        }
        catch
        {
            root.Dispose();
            throw;
        }
    }

    private void WaitUntilListening()
    {
        var deadline = Stopwatch.StartNew();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"docker-registry exited with {_process.ExitCode} before listening on {Host}");
            }

            try
            {
                using var response = http.GetAsync(new Uri($"http://{Host}/v2/")).GetAwaiter().GetResult();
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            Thread.Sleep(50);
        }

        throw new InvalidOperationException($"docker-registry did not answer on {Host} within 30 s");
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        _root.Dispose();
    }
}
