using System.Diagnostics;
using Envship.Cli.Tests.Fixtures;
using Envship.Core.Deploy;
using Envship.Testing;
using Envship.Testing.Registry;

namespace Envship.Cli.Tests;

/// <summary>A registry deploy killed mid-fetch, and one from an OCI image layout that skopeo wrote.</summary>
public sealed class RegistryDeployCrashTests(LayeredEnvironments envs) : IClassFixture<LayeredEnvironments>
{
    [Fact]
    public void A_deploy_killed_mid_fetch_leaves_DEST_and_the_cache_intact_and_the_next_deploy_works()
    {
        var destination = envs.Work.Combine("killed", "env");
        var cache = envs.Work.Combine("killed-cache");
        CliRunner.RunOk("deploy", envs.Reference("v1"), "--prefix", destination, "--cache-dir", cache, "-q");
        var stalled = envs.V2.Layers.Single(l => LayeredEnvironments.Title(l) == "conda:pkg6-1.0-0");
        using var http = new HttpClient();
        // The registry as it is, except that the new package's blob stops halfway and never ends.
        using var proxy = new LoopbackHttpServer(request => request.Method == "GET" && request.Target.EndsWith(stalled.Digest, StringComparison.Ordinal)
            ? new LoopbackResponse(200, File.ReadAllBytes(envs.Registry.BlobDataPath(stalled.Digest))[..(int)(stalled.Size / 2)]) { AnnouncedLength = stalled.Size, Stall = true }
            : Forward(http, request));

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "envship.dll"), "deploy", $"oci://127.0.0.1:{proxy.Port}/envs/demo:v2", "--prefix", destination, "--replace", "--cache-dir", cache, "-q" })
        {
            start.ArgumentList.Add(arg);
        }

        using (var process = Process.Start(start)!)
        {
            var partial = Path.Combine(cache, "blobs", "tmp");
            var clock = Stopwatch.StartNew();
            while (!Directory.EnumerateFiles(partial, stalled.Digest["sha256:".Length..] + "*").Any())
            {
                Assert.False(process.HasExited, process.HasExited ? process.StandardError.ReadToEnd() : "");
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), "the stalled blob's fetch never started");
                Thread.Sleep(20);
            }

            process.Kill();
            process.WaitForExit();
        }

        Assert.Equal(envs.V1.Config.Digest["sha256:".Length..], Receipt.Load(destination).ManifestSha256);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
        Assert.False(File.Exists(Path.Combine(cache, "blobs", "sha256", stalled.Digest["sha256:".Length..])));

        CliRunner.RunOk("deploy", envs.Reference("v2"), "--prefix", destination, "--replace", "--cache-dir", cache, "-q");
        Assert.Equal(envs.V2.Config.Digest["sha256:".Length..], Receipt.Load(destination).ManifestSha256);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
        Assert.Empty(Directory.EnumerateDirectories(Path.GetDirectoryName(destination)!, "*staging*"));
    }

    [Fact]
    public void An_image_layout_skopeo_copied_deploys_offline_with_the_same_manifest()
    {
        var layout = envs.Work.Combine("skopeo-layout");
        var copy = ProcessRunner.Run("skopeo", ["copy", "--src-tls-verify=false", $"docker://{envs.Registry.Host}/envs/demo:v1", $"oci:{layout}:v1"], null, null, TimeSpan.FromMinutes(2));
        Assert.True(copy.ExitCode == 0, copy.StdErr);
        var destination = envs.Work.Combine("from-layout", "env");

        var result = CliRunner.RunOk("deploy", $"oci-layout:{layout}:v1", "--prefix", destination, "--no-cache");

        Assert.Contains("fetched", result.StdErr, StringComparison.Ordinal);
        Assert.Equal(envs.V1.Config.Digest["sha256:".Length..], Receipt.Load(destination).ManifestSha256);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
    }

    private LoopbackResponse Forward(HttpClient http, LoopbackRequest request)
    {
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), $"http://{envs.Registry.Host}{request.Target}");
        if (request.Header("Accept") is { } accept)
        {
            message.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = http.Send(message);
        var body = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name is "Content-Type" or "Docker-Content-Digest" or "Link" or "Location")
            {
                headers[name] = string.Join(", ", values);
            }
        }

        return new LoopbackResponse((int)response.StatusCode, body, headers);
    }
}
