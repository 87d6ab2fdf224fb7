using System.Security.Cryptography;
using System.Text.Json;
using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Core.Archive.Installer;
using Envship.Testing;

namespace Envship.Cli.Tests.Installer;

/// <summary>
/// Issue 14, acceptance 3: the installer with the real native envship inside (one publish per test
/// process, shared through <see cref="NativeEnvship"/>), run the way a target runs it.
/// </summary>
public sealed class InstallerNativeTests(TinyEnvironment env) : IClassFixture<TinyEnvironment>
{
    /// <summary>Everything the header runs; a target with only these and sh deploys.</summary>
    private static readonly string[] Coreutils = ["tail", "head", "wc", "sha256sum", "mktemp", "chmod", "dirname", "mv", "rm", "cat"];

    /// <summary>Debian's dash with GNU coreutils, and busybox alone (sh and every tool), as on a small board.</summary>
    [Theory]
    [InlineData("coreutils")]
    [InlineData("busybox")]
    public void Deploys_with_nothing_but_sh_and_coreutils_on_the_path(string toolbox)
    {
        var run = NativeBundle($"bare-{toolbox}.run");
        var tools = env.Work.CreateDirectory($"bare-tools-{toolbox}");
        var busybox = toolbox == "busybox";
        File.CreateSymbolicLink(Path.Combine(tools, "sh"), busybox ? Which("busybox") : "/bin/dash");
        foreach (var tool in Coreutils)
        {
            File.CreateSymbolicLink(Path.Combine(tools, tool), busybox ? Which("busybox") : Which(tool));
        }

        var sh = Path.Combine(tools, "sh");

        var bare = new Dictionary<string, string?> { ["PATH"] = tools };
        foreach (var absent in new[] { "python3", "tar", "zstd", "dotnet", "gzip", "base64" })
        {
            var found = ProcessRunner.Run(sh, ["-c", $"command -v {absent}"], environment: bare);
            Assert.True(found.ExitCode != 0, $"{absent} is reachable on the bare PATH: {found.StdOut}");
        }

        var destination = env.Work.Combine($"bare-dest-{toolbox}", "env");
        var dryRun = ProcessRunner.Run(sh, [run, "--prefix", destination, "--dry-run"], environment: bare);
        Assert.True(dryRun.ExitCode == 0, dryRun.StdErr);
        Assert.False(Directory.Exists(destination), "--dry-run wrote DEST");

        var deployed = ProcessRunner.Run(sh, [run, "--prefix", destination, "--json"], environment: bare);

        Assert.True(deployed.ExitCode == 0, $"{deployed.StdOut}\n{deployed.StdErr}");
        using var json = JsonDocument.Parse(deployed.StdOut);
        Assert.Equal(destination, json.RootElement.GetProperty("destination").GetString());
        Assert.Contains("clean", Native("verify", destination).StdOut, StringComparison.Ordinal);
        Assert.Contains($"from {Path.GetFullPath(run)}", Native("history", destination).StdOut, StringComparison.Ordinal);

        var info = ProcessRunner.Run(sh, [run, "--info"], environment: bare);
        Assert.True(info.ExitCode == 0, info.StdErr);
        Assert.Contains("manifest:      sha256 ", info.StdOut, StringComparison.Ordinal);
        var help = ProcessRunner.Run(sh, [run, "--help"], environment: bare);
        Assert.True(help.ExitCode == 0, help.StdErr);
        Assert.Contains("--replace", help.StdOut, StringComparison.Ordinal);
        Assert.Contains("--require-signature", help.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void With_a_noexec_TMPDIR_the_binary_runs_beside_DEST_and_nothing_is_left_behind()
    {
        var run = NativeBundle("noexec.run");
        var tmp = env.Work.CreateDirectory("noexec-tmp");
        var mount = ProcessRunner.Run("mount", ["-t", "tmpfs", "-o", "noexec,size=64m", "tmpfs", tmp]);
        Assert.True(mount.ExitCode == 0, $"mounting a noexec tmpfs was refused ({mount.StdErr.Trim()}): this test needs root or CAP_SYS_ADMIN, as the CI machine has");
        try
        {
            var parent = env.Work.CreateDirectory("noexec-parent");
            var destination = Path.Combine(parent, "deeper", "env");

            var deployed = ProcessRunner.Run("/bin/dash", [run, "--prefix", destination, "-q"], environment: new Dictionary<string, string?> { ["TMPDIR"] = tmp });

            Assert.True(deployed.ExitCode == 0, deployed.StdErr);
            Assert.Contains($"running envship from {parent}/envship-run.", deployed.StdErr, StringComparison.Ordinal);
            Assert.Contains($"{tmp} (mounted noexec, or programs may not run there)", deployed.StdErr, StringComparison.Ordinal);
            Assert.Contains("clean", Native("verify", destination).StdOut, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFileSystemEntries(tmp));
            Assert.Equal(["deeper"], Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName));

            var nowhere = ProcessRunner.Run("/bin/dash", [run, "--prefix", Path.Combine(tmp, "env")], environment: new Dictionary<string, string?> { ["TMPDIR"] = tmp, ["HOME"] = tmp });

            Assert.Equal((int)ExitCode.IoFailure, nowhere.ExitCode);
            Assert.Contains("no directory lets the embedded envship run; tried:", nowhere.StdErr, StringComparison.Ordinal);
            Assert.Contains("Set TMPDIR to a writable directory", nowhere.StdErr, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFileSystemEntries(tmp));
        }
        finally
        {
            ProcessRunner.Run("umount", [tmp]);
        }
    }

    [Fact]
    public void One_flipped_byte_in_the_archive_is_refused_by_the_binary_and_DEST_stays_untouched()
    {
        var run = NativeBundle("flipped.run");
        var layout = InstallerLayout.TryRead(run)!;
        InstallerHeaderTests.Flip(run, layout.Archive.End - 64);
        var parent = env.Work.CreateDirectory("flipped-parent");
        var destination = Path.Combine(parent, "env");

        var refused = ProcessRunner.Run("busybox", ["sh", run, "--prefix", destination]);

        Assert.Equal((int)ExitCode.DamagedArchive, refused.ExitCode);
        Assert.Contains("envship: error: ", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains(run, refused.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    [Fact]
    public void The_native_envship_embeds_itself_when_no_binary_is_named()
    {
        var binary = NativeEnvship.Binary();
        var run = env.Work.Combine("self.run");

        var bundled = ProcessRunner.Run(binary, ["bundle", env.TarZst, "-o", run, "-q"]);

        Assert.True(bundled.ExitCode == 0, bundled.StdErr);
        var layout = InstallerLayout.TryRead(run)!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(binary))), layout.Binary.Sha256);
        Assert.Equal(File.ReadAllBytes(NativeBundle("named.run")), File.ReadAllBytes(run));
        var aarch64 = ProcessRunner.Run(binary, ["bundle", env.TarZst, "-o", env.Work.Combine("arm.run"), "--target", "linux-aarch64"]);
        Assert.Equal((int)ExitCode.Usage, aarch64.ExitCode);
        Assert.Contains("--envship-binary PATH", aarch64.StdErr, StringComparison.Ordinal);
    }

    private string NativeBundle(string name)
    {
        var output = env.Work.Combine(name);
        CliRunner.RunOk("bundle", env.TarZst, "-o", output, "--envship-binary", NativeEnvship.Binary(), "-q", "-f");
        return output;
    }

    private static ProcessResult Native(params string[] args)
    {
        var result = ProcessRunner.Run(NativeEnvship.Binary(), args);
        Assert.True(result.ExitCode == 0, $"envship {string.Join(' ', args)} exited {result.ExitCode}:\n{result.StdErr}");
        return result;
    }

    private static string Which(string tool) =>
        new[] { "/usr/bin", "/bin" }.Select(d => Path.Combine(d, tool)).First(File.Exists);
}
