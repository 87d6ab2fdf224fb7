using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Core.Archive.Installer;
using Envship.Testing;

namespace Envship.Cli.Tests.Installer;

/// <summary>
/// envship itself reads the archive inside an installer: <c>deploy</c>, <c>inspect</c> and the signature
/// rules work on NAME.run as on the archive, and every byte of the embedded archive is checked.
/// </summary>
public sealed class InstallerArchiveTests(TinyEnvironment env) : IClassFixture<TinyEnvironment>
{
    [Fact]
    public void Deploy_and_inspect_read_the_archive_inside_an_installer()
    {
        var run = Bundle("read.run");
        var destination = env.Work.Combine("read-dest", "env");

        CliRunner.RunOk("deploy", run, "--prefix", destination, "-q");

        Assert.Contains("clean", CliRunner.RunOk("verify", destination).StdOut, StringComparison.Ordinal);
        var direct = CliRunner.RunOk("inspect", env.TarZst).StdOut.Split('\n').Single(l => l.StartsWith("manifest:", StringComparison.Ordinal));
        Assert.Contains(direct, CliRunner.RunOk("inspect", run).StdOut, StringComparison.Ordinal);
    }

    /// <summary>The archive's skippable padding is covered by no member check; the header's SHA-256 covers it.</summary>
    [Theory]
    [InlineData(0.5)]
    [InlineData(0.99)]
    public void One_flipped_byte_anywhere_in_the_embedded_archive_is_refused_and_DEST_stays_untouched(double where)
    {
        var run = Bundle($"flipped-archive-{where}.run");
        var layout = InstallerLayout.TryRead(run)!;
        InstallerHeaderTests.Flip(run, layout.Archive.Offset + (long)(layout.Archive.Size * where));
        var parent = env.Work.CreateDirectory($"flipped-archive-{where}");

        var refused = CliRunner.Run("deploy", run, "--prefix", Path.Combine(parent, "env"));

        Assert.Equal((int)ExitCode.DamagedArchive, refused.ExitCode);
        Assert.Contains(run, refused.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
        Assert.Equal((int)ExitCode.DamagedArchive, CliRunner.Run("deploy", run, "--prefix", Path.Combine(parent, "env"), "--dry-run").ExitCode);
    }

    [Fact]
    public void Verify_key_checks_the_archive_signature_carried_inside()
    {
        var (secretKey, publicKey) = KeyPair("embedded");
        var (_, otherKey) = KeyPair("embedded-other");
        var archive = env.Work.Combine("embedded.tar.zst");
        File.Copy(env.TarZst, archive);
        CliRunner.RunOk("sign", archive, "-s", secretKey);
        var run = Bundle("embedded.run", archive);

        var deployed = CliRunner.RunOk("deploy", run, "--prefix", env.Work.Combine("embedded-dest", "env"), "--verify-key", publicKey, "--require-signature");
        var wrongKey = CliRunner.Run("deploy", run, "--prefix", env.Work.Combine("embedded-wrong", "env"), "--verify-key", otherKey);

        var keyId = File.ReadAllLines(publicKey)[0].Split(' ')[^1];
        Assert.Contains($"signature good, from key {keyId}", deployed.StdErr, StringComparison.Ordinal);
        Assert.Equal((int)ExitCode.UnknownKey, wrongKey.ExitCode);
        Assert.Contains($"{run} (the archive's signature inside it): signed by key {keyId}", wrongKey.StdErr, StringComparison.Ordinal);
        Assert.Contains("verified (the archive's signature inside the installer)", CliRunner.RunOk("inspect", run, "--verify-key", publicKey).StdOut, StringComparison.Ordinal);
        Assert.False(Directory.Exists(env.Work.Combine("embedded-wrong")));
    }

    [Fact]
    public void Without_an_embedded_signature_the_installers_own_minisig_must_sign_the_whole_file()
    {
        var (secretKey, publicKey) = KeyPair("whole");
        var run = Bundle("whole.run");

        var missing = CliRunner.Run("deploy", run, "--prefix", env.Work.Combine("whole-missing", "env"), "--verify-key", publicKey);
        CliRunner.RunOk("sign", run, "-s", secretKey);
        var deployed = CliRunner.RunOk("deploy", run, "--prefix", env.Work.Combine("whole-dest", "env"), "--verify-key", publicKey);

        Assert.Equal((int)ExitCode.SignatureMissing, missing.ExitCode);
        Assert.Contains("whole.run.minisig", missing.StdErr, StringComparison.Ordinal);
        Assert.Contains("signature good", deployed.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_binary_must_be_an_ELF_executable_of_the_target()
    {
        using var work = new TempDirectory("envship-arm-");
        var source = work.WriteFile("hello.c", "int main(void) { return 0; }\n");
        var arm = work.Combine("envship-arm");
        ProcessRunner.RunChecked("aarch64-linux-gnu-gcc", ["-o", arm, source]);

        var wrongCpu = CliRunner.Run("bundle", env.TarZst, "-o", env.Work.Combine("wrong-cpu.run"), "--target", "linux-aarch64", "--envship-binary", FakeEnvship.Binary);
        var none = CliRunner.Run("bundle", env.TarZst, "-o", env.Work.Combine("none.run"));
        var armBundle = CliRunner.Run("bundle", env.TarZst, "-o", env.Work.Combine("arm.run"), "--target", "linux-aarch64", "--envship-binary", arm);
        var withoutRun = CliRunner.Run("pack", "-p", env.Prefix, "-o", env.Work.Combine("x.tar.zst"), "--target", "linux-aarch64");
        var contradiction = CliRunner.Run("pack", "-p", env.Prefix, "-o", env.Work.Combine("x.tar.zst"), "--format", "run");

        Assert.Equal((int)ExitCode.Usage, wrongCpu.ExitCode);
        Assert.Contains($"--envship-binary {FakeEnvship.Binary} is built for linux-x86_64, not linux-aarch64", wrongCpu.StdErr, StringComparison.Ordinal);
        Assert.Equal((int)ExitCode.Usage, none.ExitCode);
        Assert.Contains("--envship-binary PATH", none.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(env.Work.Combine("none.run")));

        // The archive is linux-64, so an aarch64 installer could never deploy it.
        Assert.Equal((int)ExitCode.Usage, armBundle.ExitCode);
        Assert.Contains("holds a linux-64 environment, which an installer for linux-aarch64 could never deploy", armBundle.StdErr, StringComparison.Ordinal);
        Assert.Equal((int)ExitCode.Usage, withoutRun.ExitCode);
        Assert.Contains("add --format run", withoutRun.StdErr, StringComparison.Ordinal);
        Assert.Equal((int)ExitCode.Usage, contradiction.ExitCode);
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
}
