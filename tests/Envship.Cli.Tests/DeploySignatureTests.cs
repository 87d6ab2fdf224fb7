using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Core.Deploy;

namespace Envship.Cli.Tests;

/// <summary>Issue 6, acceptance 2: deploy checks the signature before anything is written, with one exit code per failure.</summary>
public sealed class DeploySignatureTests(SmallEnvironment env) : IClassFixture<SmallEnvironment>
{
    [Fact]
    public void A_good_signature_deploys_and_the_signer_is_recorded()
    {
        var (archive, publicKey) = SignedArchive("good");
        var destination = env.Work.Combine("signed-good", "env");

        var deploy = CliRunner.RunOk("deploy", archive, "--prefix", destination, "--verify-key", publicKey, "--require-signature");

        var keyId = File.ReadAllLines(publicKey)[0].Split(' ')[^1];
        Assert.Contains($"signature good, from key {keyId}", deploy.StdErr, StringComparison.Ordinal);
        Assert.Contains("sha256:", deploy.StdErr, StringComparison.Ordinal);
        Assert.Contains($"\"signer_key_id\": \"{keyId}\"", File.ReadAllText(Path.Combine(destination, Receipt.RelativePath)), StringComparison.Ordinal);
        Assert.Contains(keyId, CliRunner.RunOk("history", destination).StdOut, StringComparison.Ordinal);
        Assert.Contains($"verified, from key {keyId}", CliRunner.RunOk("inspect", archive, "--verify-key", publicKey).StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void A_modified_archive_is_refused_before_writing()
    {
        var (archive, publicKey) = SignedArchive("modified");
        var bytes = File.ReadAllBytes(archive);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(archive, bytes);

        AssertRefused(ExitCode.BadSignature, "was modified or damaged after signing", "deploy", archive, "--verify-key", publicKey);
    }

    [Fact]
    public void A_modified_trusted_comment_is_refused_before_writing()
    {
        var (archive, publicKey) = SignedArchive("comment");
        var signature = archive + ".minisig";
        var lines = File.ReadAllLines(signature);
        var comment = Array.FindIndex(lines, l => l.StartsWith("trusted comment: ", StringComparison.Ordinal));
        lines[comment] = lines[comment].Replace("env:", "env:x", StringComparison.Ordinal);
        File.WriteAllLines(signature, lines);

        AssertRefused(ExitCode.TrustedCommentModified, "trusted comment was modified", "deploy", archive, "--verify-key", publicKey);
    }

    [Fact]
    public void A_signature_from_another_key_is_refused_before_writing()
    {
        var (archive, _) = SignedArchive("wrong-key");
        var otherKey = env.Work.Combine("other.pub");
        CliRunner.RunOk("keygen", "-W", "-p", otherKey, "-s", env.Work.Combine("other.key"));

        AssertRefused(ExitCode.UnknownKey, "not a trusted key", "deploy", archive, "--verify-key", otherKey);
    }

    [Fact]
    public void A_missing_signature_is_refused_when_required_also_through_the_environment()
    {
        var (archive, publicKey) = SignedArchive("missing");
        File.Delete(archive + ".minisig");

        AssertRefused(ExitCode.SignatureMissing, ".minisig", "deploy", archive, "--verify-key", publicKey, "--require-signature");

        var parent = env.Work.CreateDirectory("missing-env-var");
        var fromEnvironment = CliRunner.RunProcess(
            ["deploy", archive, "--prefix", Path.Combine(parent, "env"), "--verify-key", publicKey],
            new Dictionary<string, string?> { [SignatureGate.RequireEnvironmentVariable] = "1" });
        Assert.Equal((int)ExitCode.SignatureMissing, fromEnvironment.ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));

        var noKey = CliRunner.RunProcess(
            ["deploy", archive, "--prefix", Path.Combine(parent, "env")],
            new Dictionary<string, string?> { [SignatureGate.RequireEnvironmentVariable] = "1" });
        Assert.Equal((int)ExitCode.Usage, noKey.ExitCode);
        Assert.Contains("--verify-key", noKey.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    private (string Archive, string PublicKey) SignedArchive(string name)
    {
        var publicKey = env.Work.Combine(name + ".pub");
        var secretKey = env.Work.Combine(name + ".key");
        CliRunner.RunOk("keygen", "-W", "-p", publicKey, "-s", secretKey);
        var archive = env.Pack(name + ".tar.zst", "--sign", secretKey);
        Assert.True(File.Exists(archive + ".minisig"));
        return (archive, publicKey);
    }

    private void AssertRefused(ExitCode expected, string message, params string[] args)
    {
        var parent = env.Work.CreateDirectory("refused-" + Guid.NewGuid().ToString("N")[..8]);
        var result = CliRunner.Run([.. args, "--prefix", Path.Combine(parent, "env")]);

        Assert.Equal((int)expected, result.ExitCode);
        Assert.Contains(message, result.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }
}
