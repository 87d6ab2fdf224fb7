using Envship.Cli.Tests.Fixtures;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// The release build is a native executable (PublishAot): what a target without .NET runs, and what
/// the benchmark measures. Trimming and ahead-of-time compilation can break what runs fine under the
/// JIT (reflection-based JSON, say), so the published binary itself packs, deploys and verifies.
/// </summary>
public sealed class NativeBuildTests(SmallEnvironment env) : IClassFixture<SmallEnvironment>
{
    [Fact]
    public void The_published_native_binary_runs_every_step_of_a_deploy()
    {
        var binary = NativeEnvship.Binary();
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(binary)!, "envship.dll")), "the release build is not native");

        var archive = env.Work.Combine("native.tar.zst");
        Run(binary, "pack", "-p", env.Prefix, "-o", archive, "-q");
        Assert.Contains("manifest:      sha256 ", Run(binary, "inspect", archive), StringComparison.Ordinal);
        Assert.Contains("dependencies:", Run(binary, "export", archive, "--format", "environment.yml"), StringComparison.Ordinal);
        Assert.Contains("\"bomFormat\": \"CycloneDX\"", Run(binary, "export", archive, "--format", "cyclonedx"), StringComparison.Ordinal);

        var destination = env.Work.Combine("native-deploy", "env");
        Run(binary, "deploy", archive, "--prefix", destination, "-q");
        Assert.Contains("clean", Run(binary, "verify", destination), StringComparison.Ordinal);
        Assert.Contains("manifest sha256", Run(binary, "history", destination), StringComparison.Ordinal);

        // gzip is inflated through the runtime's own zlib, which the native build links in.
        var gzip = env.Work.Combine("native.tar.gz");
        Run(binary, "pack", "-p", env.Prefix, "-o", gzip, "--format", "tar.gz", "-q");
        Run(binary, "deploy", gzip, "--prefix", env.Work.Combine("native-deploy-gz", "env"), "-q");
        var cut = env.Work.Combine("native-cut.tar.gz");
        File.WriteAllBytes(cut, File.ReadAllBytes(gzip)[..^8]);
        var refused = ProcessRunner.Run(binary, ["deploy", cut, "--prefix", env.Work.Combine("native-deploy-cut", "env"), "-q"], null, null, TimeSpan.FromMinutes(2));
        Assert.True(refused.ExitCode == 6 && refused.StdErr.Contains("before its 8-byte trailer", StringComparison.Ordinal), $"a gzip archive without its trailer: exit {refused.ExitCode}\n{refused.StdErr}");

        var demo = Run(binary, "demo", "--workdir", env.Work.Combine("native-demo"));
        Assert.Contains("relocated", demo, StringComparison.Ordinal);
    }

    private static string Run(string binary, params string[] args)
    {
        var result = ProcessRunner.Run(binary, args, null, null, TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, $"envship {string.Join(' ', args)} exited {result.ExitCode}:\n{result.StdOut}\n{result.StdErr}");
        return result.StdOut + result.StdErr;
    }
}
