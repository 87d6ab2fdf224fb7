using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Core.Archive.Installer;
using Envship.Testing;

namespace Envship.Cli.Tests.Installer;

/// <summary>
/// Issue 14, part 2: what the installer's sh header does on its own, with a stand-in for the binary
/// (<see cref="FakeEnvship"/>), under dash (Debian's /bin/sh) and busybox sh.
/// </summary>
public sealed class InstallerHeaderTests(TinyEnvironment env) : IClassFixture<TinyEnvironment>
{
    [Theory]
    [InlineData("dash")]
    [InlineData("busybox")]
    public void Every_deploy_flag_is_passed_through_and_the_installer_names_itself_as_the_archive(string shell)
    {
        var run = Bundle($"flags-{shell}.run");
        var log = env.Work.Combine($"flags-{shell}.log");
        string[] flags = ["--prefix", "/opt/envs/my env", "--replace", "--verify-key", "k.pub", "--require-signature", "--shared", "--group", "--info", "--dry-run", "--json"];

        var deploy = Sh(shell, run, flags, new() { [FakeEnvship.LogVariable] = log });

        Assert.True(deploy.ExitCode == 0, deploy.StdErr);
        Assert.Equal(["deploy", run, .. flags], File.ReadAllLines(log));

        var info = Sh(shell, run, ["--info", "--json"], new() { [FakeEnvship.LogVariable] = log });

        Assert.True(info.ExitCode == 0, info.StdErr);
        Assert.Equal(["inspect", run, "--json"], File.ReadAllLines(log));
    }

    [Fact]
    public void One_flipped_byte_in_the_embedded_binary_is_refused_before_it_runs()
    {
        var run = Bundle("flipped-binary.run");
        var layout = InstallerLayout.TryRead(run)!;
        Flip(run, layout.Binary.Offset + (layout.Binary.Size / 2));
        var log = env.Work.Combine("flipped-binary.log");
        var destination = env.Work.Combine("flipped-binary-dest", "env");

        var refused = Sh("dash", run, ["--prefix", destination], new() { [FakeEnvship.LogVariable] = log });

        Assert.Equal((int)ExitCode.DamagedArchive, refused.ExitCode);
        Assert.Contains($"{run}: the embedded envship binary is damaged (sha256 ", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains($"expected {layout.Binary.Sha256}", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains("Nothing was run and nothing was written. Copy flipped-binary.run again", refused.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(log), "the damaged binary ran");
        Assert.False(Directory.Exists(Path.GetDirectoryName(destination)), "something was written beside DEST");
    }

    [Fact]
    public void A_cut_installer_is_refused_before_anything_is_copied()
    {
        var run = Bundle("cut.run");
        var bytes = File.ReadAllBytes(run);
        File.WriteAllBytes(run, bytes[..^100]);

        var refused = Sh("dash", run, ["--prefix", env.Work.Combine("cut-dest")], []);

        Assert.Equal((int)ExitCode.DamagedArchive, refused.ExitCode);
        Assert.Contains($"is {bytes.Length - 100} bytes long, but its header says {bytes.Length}", refused.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dash")]
    [InlineData("busybox")]
    public void Extract_archive_writes_the_original_archive_and_its_signature_without_running_anything(string shell)
    {
        var (archive, _) = SignedArchive($"extract-{shell}");
        var run = Bundle($"extract-{shell}.run", archive);
        var output = env.Work.Combine($"extracted-{shell}.tar.zst");
        var log = env.Work.Combine($"extract-{shell}.log");

        var extracted = Sh(shell, run, ["--extract-archive", output], new() { [FakeEnvship.LogVariable] = log });

        Assert.True(extracted.ExitCode == 0, extracted.StdErr);
        Assert.Equal(File.ReadAllBytes(archive), File.ReadAllBytes(output));
        Assert.Equal(File.ReadAllBytes(archive + ".minisig"), File.ReadAllBytes(output + ".minisig"));
        Assert.False(File.Exists(log), "--extract-archive needs no binary");

        var again = Sh(shell, run, ["--extract-archive", output], []);

        Assert.Equal((int)ExitCode.DestinationExists, again.ExitCode);
        Assert.Contains($"{output}: already exists", again.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_names_the_installer_and_its_options()
    {
        var run = Bundle("help.run");
        var log = env.Work.Combine("help.log");

        var help = Sh("dash", run, ["--help"], new() { [FakeEnvship.LogVariable] = log });

        Assert.True(help.ExitCode == 0, help.StdErr);
        Assert.Contains("Usage: sh help.run --prefix DEST [deploy options]", help.StdOut, StringComparison.Ordinal);
        Assert.Contains("--extract-archive FILE", help.StdOut, StringComparison.Ordinal);
        Assert.Equal(["deploy", "--help"], File.ReadAllLines(log));
    }

    /// <summary>A terminal's Ctrl-C or kill on the process group: the binary stops, and the script removes its copy.</summary>
    [Fact]
    public void A_signal_to_the_process_group_leaves_no_copy_of_the_binary_behind()
    {
        var run = Bundle("signal.run");
        var tmp = env.Work.CreateDirectory("signal-tmp");
        var log = env.Work.Combine("signal.log");
        var start = new System.Diagnostics.ProcessStartInfo("setsid") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "dash", run, "--prefix", env.Work.Combine("signal-dest", "env") })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["TMPDIR"] = tmp;
        start.Environment[FakeEnvship.LogVariable] = log;
        start.Environment["ENVSHIP_FAKE_WAIT"] = "1";
        using var installer = System.Diagnostics.Process.Start(start)!;
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!File.Exists(log) && DateTime.UtcNow < deadline && !installer.HasExited)
        {
            Thread.Sleep(20);
        }

        Assert.True(File.Exists(log), "the embedded program never started");
        Assert.Single(Directory.EnumerateDirectories(tmp, "envship-run.*"));

        // setsid made the installer the leader of its own process group, so this reaches it and the binary.
        ProcessRunner.RunChecked("kill", ["-TERM", "--", $"-{installer.Id}"]);
        Assert.True(installer.WaitForExit(TimeSpan.FromMinutes(1)), "the installer did not stop");

        Assert.Equal(130, installer.ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp));
    }

    [Fact]
    public void Two_bundles_of_one_archive_are_byte_identical_and_so_are_two_packs()
    {
        var first = Bundle("same-1.run");
        var second = Bundle("same-2.run");

        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
        Assert.Equal(UnixFileMode.UserExecute, File.GetUnixFileMode(first) & UnixFileMode.UserExecute);

        var packed = new[] { "pack-1.run", "pack-2.run" }.Select(name =>
        {
            var output = env.Work.Combine(name);
            CliRunner.RunOk("pack", "-p", env.Prefix, "-o", output, "--envship-binary", FakeEnvship.Binary, "-q");
            return File.ReadAllBytes(output);
        }).ToList();

        Assert.Equal(packed[0], packed[1]);
        Assert.Empty(Directory.EnumerateFileSystemEntries(env.Work.Path, "pack-*.run.envship-tmp-*"));
    }

    [Fact]
    public void A_signed_installer_verifies_with_minisign_and_a_changed_byte_does_not()
    {
        var (secretKey, publicKey) = KeyPair("signed-run");
        var run = env.Work.Combine("signed.run");
        CliRunner.RunOk("pack", "-p", env.Prefix, "--format", "run", "-o", run, "--envship-binary", FakeEnvship.Binary, "--sign", secretKey, "-q");

        var verified = ProcessRunner.Run("minisign", ["-Vm", run, "-p", publicKey]);

        Assert.True(verified.ExitCode == 0, verified.StdErr);
        Assert.True(InstallerLayout.TryRead(run)!.Signature.Size > 0, "pack --sign --format run embeds the archive's own signature");
        Flip(run, 100);
        Assert.NotEqual(0, ProcessRunner.Run("minisign", ["-Vm", run, "-p", publicKey]).ExitCode);
    }

    private string Bundle(string name, string? archive = null)
    {
        var output = env.Work.Combine(name);
        CliRunner.RunOk("bundle", archive ?? env.TarZst, "-o", output, "--envship-binary", FakeEnvship.Binary, "-q");
        return output;
    }

    private (string SecretKey, string PublicKey) KeyPair(string name)
    {
        var publicKey = env.Work.Combine(name + ".pub");
        var secretKey = env.Work.Combine(name + ".key");
        CliRunner.RunOk("keygen", "-W", "-p", publicKey, "-s", secretKey);
        return (secretKey, publicKey);
    }

    private (string Archive, string PublicKey) SignedArchive(string name)
    {
        var (secretKey, publicKey) = KeyPair(name);
        var archive = env.Work.Combine(name + ".tar.zst");
        File.Copy(env.TarZst, archive);
        CliRunner.RunOk("sign", archive, "-s", secretKey);
        return (archive, publicKey);
    }

    internal static void Flip(string path, long offset)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var value = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(value ^ 0x20));
    }

    internal static ProcessResult Sh(string shell, string run, IEnumerable<string> args, Dictionary<string, string?> environment) =>
        ProcessRunner.Run(shell, shell == "busybox" ? ["sh", run, .. args] : [run, .. args], environment: environment, timeout: TimeSpan.FromMinutes(2));
}
