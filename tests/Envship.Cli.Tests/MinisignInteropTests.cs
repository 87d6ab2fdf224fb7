using System.Security.Cryptography;
using Envship.Core;
using Envship.Core.Trust;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// Acceptance 1 and the signature half of 2: Debian's minisign and envship read each other's keys and
/// signatures in both directions, and every kind of tampering is refused with its own exit code.
/// Keys at minisign's default scrypt cost take about 1 GiB and seconds per derivation, so only the
/// password tests use them; the rest use unencrypted (-W) keys.
/// </summary>
public sealed class MinisignInteropTests : IDisposable
{
    private const string Password = "interop pass phrase";
    private readonly TempDirectory _work = new("envship-minisign-");

    [Fact]
    public void Our_signature_verifies_with_minisign()
    {
        var (pub, sec) = UnencryptedEnvshipKeys();
        var file = _work.WriteFile("data.txt", "signed by envship\n");
        CliRunner.RunOk("sign", file, "-s", sec, "-t", "release 1.0\tchannel stable");

        var byFile = ProcessRunner.RunChecked("minisign", ["-Vm", file, "-p", pub]);
        var byString = ProcessRunner.RunChecked("minisign", ["-Vm", file, "-P", File.ReadAllLines(pub)[1]]);

        Assert.Contains("Trusted comment: release 1.0\tchannel stable", byFile.StdOut, StringComparison.Ordinal);
        Assert.Contains("Signature and comment signature verified", byString.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Minisigns_signature_from_a_password_protected_key_verifies_with_envship()
    {
        var pub = _work.Combine("m.pub");
        var sec = _work.Combine("m.key");
        Shell("""printf '%s\n%s\n' "$1" "$1" | minisign -G -p "$2" -s "$3" """, Password, pub, sec);
        var file = _work.WriteFile("data.txt", "signed by minisign\n");
        Shell("""printf '%s\n' "$1" | minisign -S -s "$2" -m "$3" -t "$4" """, Password, sec, file, "from minisign");

        var result = CliRunner.RunOk("verify-signature", file, "-p", pub, "--require-prehashed");

        Assert.Contains("Signature and comment signature verified", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("Trusted comment: from minisign", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Minisigns_signatures_from_an_unencrypted_key_verify_with_envship_legacy_ones_unless_refused()
    {
        var pub = _work.Combine("w.pub");
        var sec = _work.Combine("w.key");
        ProcessRunner.RunChecked("minisign", ["-G", "-W", "-p", pub, "-s", sec]);
        var file = _work.WriteFile("data.txt", "signed by minisign -W\n");
        ProcessRunner.RunChecked("minisign", ["-S", "-s", sec, "-m", file]);
        ProcessRunner.RunChecked("minisign", ["-S", "-l", "-s", sec, "-m", file, "-x", file + ".legacy"]);

        var prehashed = CliRunner.RunOk("verify-signature", file, "-P", File.ReadAllLines(pub)[1], "--require-prehashed");
        var legacy = CliRunner.RunOk("verify-signature", file, "-p", pub, "-x", file + ".legacy");
        var refused = CliRunner.Run("verify-signature", file, "-p", pub, "-x", file + ".legacy", "--require-prehashed");

        Assert.Contains($"file:data.txt\thashed", prehashed.StdOut, StringComparison.Ordinal);
        Assert.Contains("legacy", legacy.StdOut, StringComparison.Ordinal);
        Assert.Equal((int)ExitCode.BadSignature, refused.ExitCode);
        Assert.Contains("--require-prehashed", refused.StdErr, StringComparison.Ordinal);

        // What minisign signs is the comment's bytes, whether or not they are UTF-8 (here Latin-1 "café").
        Shell("""minisign -S -s "$1" -m "$2" -x "$3" -t "$(printf 'caf\351')" """, sec, file, file + ".latin1");
        CliRunner.RunOk("verify-signature", file, "-p", pub, "-x", file + ".latin1");
    }

    [Fact]
    public void Our_encrypted_secret_key_signs_with_minisign()
    {
        var pub = _work.Combine("e.pub");
        var sec = _work.Combine("e.key");
        var withPassword = new Dictionary<string, string?> { ["ENVSHIP_PASSWORD"] = Password };
        AssertOk(CliRunner.RunProcess(["keygen", "-p", pub, "-s", sec], withPassword));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(sec));
        Assert.StartsWith("RWRTY0Iy", File.ReadAllLines(sec)[1], StringComparison.Ordinal); // "Ed" "Sc" "B2": encrypted
        var file = _work.WriteFile("data.txt", "signed by minisign with an envship key\n");

        Shell("""printf '%s\n' "$1" | minisign -S -s "$2" -m "$3" -x "$3.by-minisign" """, Password, sec, file);
        ProcessRunner.RunChecked("minisign", ["-Vm", file, "-p", pub, "-x", file + ".by-minisign"]);
        CliRunner.RunOk("verify-signature", file, "-p", pub, "-x", file + ".by-minisign");

        AssertOk(CliRunner.RunProcess(["sign", file, "-s", sec], withPassword));
        ProcessRunner.RunChecked("minisign", ["-Vm", file, "-p", pub]);
    }

    [Fact]
    public void A_password_on_stdin_decrypts_a_key_for_both_tools_and_a_wrong_one_is_a_clear_error()
    {
        // N=2^10: minisign derives with the limits the key file stores, so this costs milliseconds.
        var key = MinisignSecretKey.Generate();
        var sec = _work.WriteFile("cheap.key", key.ToFileText(Password, new ScryptCost(32_768, 2_097_152)));
        var pub = _work.WriteFile("cheap.pub", key.PublicKey.ToFileText());
        var file = _work.WriteFile("data.txt", "password on stdin\n");
        var envship = Path.Combine(AppContext.BaseDirectory, "envship.dll");

        var wrong = Shell("""printf 'not the password\n' | dotnet "$1" sign "$2" -s "$3" """, envship, file, sec, check: false);
        Assert.Equal((int)ExitCode.BadKey, wrong.ExitCode);
        Assert.Contains("wrong password", wrong.StdErr, StringComparison.Ordinal);
        Assert.Contains(sec, wrong.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(file + ".minisig"));

        Shell("""printf '%s\n' "$1" | dotnet "$2" sign "$3" -s "$4" """, Password, envship, file, sec);
        ProcessRunner.RunChecked("minisign", ["-Vm", file, "-p", pub]);
        Shell("""printf '%s\n' "$1" | minisign -S -s "$2" -m "$3" -x "$3.by-minisign" """, Password, sec, file);
        CliRunner.RunOk("verify-signature", file, "-p", pub, "-x", file + ".by-minisign", "--require-prehashed");
    }

    [Fact]
    public void Keygen_refuses_to_overwrite_and_an_empty_password()
    {
        var (pub, sec) = UnencryptedEnvshipKeys();
        var again = CliRunner.Run("keygen", "-W", "-p", pub, "-s", sec);
        Assert.Equal((int)ExitCode.DestinationExists, again.ExitCode);
        Assert.Contains("-f", again.StdErr, StringComparison.Ordinal);
        CliRunner.RunOk("keygen", "-W", "-p", pub, "-s", sec, "-f");

        var empty = CliRunner.RunProcess(["keygen", "-p", _work.Combine("x.pub"), "-s", _work.Combine("x.key")], new Dictionary<string, string?> { ["ENVSHIP_PASSWORD"] = "" });
        Assert.Equal((int)ExitCode.Usage, empty.ExitCode);
        Assert.Contains("-W", empty.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(_work.Combine("x.key")));
    }

    [Fact]
    public void Each_kind_of_tampering_is_refused_with_its_own_message_and_exit_code()
    {
        var (pub, sec) = UnencryptedEnvshipKeys();
        var (otherPub, _) = UnencryptedEnvshipKeys("other");
        var file = _work.WriteFile("data.txt", "original\n");
        CliRunner.RunOk("sign", file, "-s", sec, "-t", "env:prod");
        var signature = File.ReadAllText(file + ".minisig");
        CliRunner.RunOk("verify-signature", file, "-p", pub);

        File.WriteAllText(file, "modified\n");
        var modifiedFile = CliRunner.Run("verify-signature", file, "-p", pub);
        File.WriteAllText(file, "original\n");

        File.WriteAllText(file + ".minisig", signature.Replace("env:prod", "env:test", StringComparison.Ordinal));
        var modifiedComment = CliRunner.Run("verify-signature", file, "-p", pub);
        File.WriteAllText(file + ".minisig", signature);

        var wrongKey = CliRunner.Run("verify-signature", file, "-p", otherPub);

        File.Delete(file + ".minisig");
        var missing = CliRunner.Run("verify-signature", file, "-p", pub);

        AssertRefused(modifiedFile, ExitCode.BadSignature, "was modified or damaged after signing");
        AssertRefused(modifiedComment, ExitCode.TrustedCommentModified, "trusted comment was modified");
        AssertRefused(wrongKey, ExitCode.UnknownKey, "not a trusted key");
        AssertRefused(missing, ExitCode.SignatureMissing, "signature file does not exist");
        Assert.Equal(4, new[] { modifiedFile, modifiedComment, wrongKey, missing }.Select(r => r.StdErr).Distinct().Count());
    }

    [Fact]
    public void Pack_sign_writes_a_signature_minisign_accepts_whose_comment_holds_the_archive_digest()
    {
        var (pub, sec) = UnencryptedEnvshipKeys();
        var prefix = _work.CreateDirectory("tiny-env");
        Directory.CreateDirectory(Path.Combine(prefix, "conda-meta"));
        _work.WriteFile("tiny-env/bin/tool", "#!/bin/sh\necho hi\n");
        var archive = _work.Combine("tiny.tar.zst");

        CliRunner.RunOk("pack", "-p", prefix, "-o", archive, "-q", "--sign", sec);

        var minisign = ProcessRunner.RunChecked("minisign", ["-Vm", archive, "-p", pub]);
        var verified = SignatureVerifier.Verify(archive, [MinisignPublicKey.Load(pub)], requirePrehashed: true);
        var comment = ArchiveTrustedComment.TryParse(verified.TrustedComment);
        Assert.NotNull(comment);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(archive))), comment.Sha256);
        Assert.Equal("tiny-env", comment.Environment);
        Assert.Contains($"sha256:{comment.Sha256}", minisign.StdOut, StringComparison.Ordinal);

        var refused = CliRunner.Run("pack", "-p", prefix, "-o", _work.Combine("tiny-dir"), "--format", "dir", "--sign", sec);
        Assert.Equal((int)ExitCode.Usage, refused.ExitCode);
        Assert.False(Directory.Exists(_work.Combine("tiny-dir")));
    }

    public void Dispose() => _work.Dispose();

    private (string Pub, string Sec) UnencryptedEnvshipKeys(string name = "envship")
    {
        var pub = _work.Combine(name + ".pub");
        var sec = _work.Combine(name + ".key");
        CliRunner.RunOk("keygen", "-W", "-p", pub, "-s", sec);
        return (pub, sec);
    }

    private static ProcessResult Shell(string script, string arg1, string arg2, string arg3, string? arg4 = null, bool check = true)
    {
        string[] args = ["-c", script, "sh", arg1, arg2, arg3, .. arg4 is null ? Array.Empty<string>() : [arg4]];
        return check ? ProcessRunner.RunChecked("sh", args) : ProcessRunner.Run("sh", args);
    }

    private static void AssertOk(ProcessResult result) =>
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}:\n{result.StdOut}{result.StdErr}");

    private static void AssertRefused(CliResult result, ExitCode code, string fragment)
    {
        Assert.True(result.ExitCode == (int)code, $"expected exit {(int)code}, got {result.ExitCode}:\n{result.All}");
        Assert.Contains(fragment, result.StdErr, StringComparison.Ordinal);
    }
}
