using Envship.Core.Trust;
using Envship.Testing;

namespace Envship.Core.Tests.Trust;

public sealed class SignatureTests : IDisposable
{
    private readonly TempDirectory _work = new("envship-sign-");
    private readonly MinisignSecretKey _key = MinisignSecretKey.Generate();

    [Fact]
    public void A_signed_file_verifies_and_returns_the_trusted_comment()
    {
        var file = _work.WriteFile("data.bin", "payload");
        var written = FileSigner.Sign(file, _key, "release 1.2\tbuild 7");

        var verified = SignatureVerifier.Verify(file, [_key.PublicKey], requirePrehashed: true);

        Assert.True(written.Prehashed);
        Assert.Equal(_key.KeyId, verified.KeyId);
        Assert.Equal("release 1.2\tbuild 7", verified.TrustedComment);
        Assert.StartsWith("untrusted comment: signature from envship secret key\nRU", File.ReadAllText(file + ".minisig"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_trusted_comment_is_minisigns()
    {
        var file = _work.WriteFile("data.bin", "payload");
        var signature = FileSigner.Sign(file, _key);
        Assert.Matches(@"^timestamp:\d+\tfile:data\.bin\thashed$", signature.TrustedComment);
    }

    [Fact]
    public void A_modified_file_is_a_bad_signature()
    {
        var file = _work.WriteFile("data.bin", "payload");
        FileSigner.Sign(file, _key);
        File.AppendAllText(file, "!");

        AssertRefused(ExitCode.BadSignature, "modified", () => SignatureVerifier.Verify(file, [_key.PublicKey], requirePrehashed: false));
    }

    [Fact]
    public void A_modified_trusted_comment_is_its_own_error()
    {
        var file = _work.WriteFile("data.bin", "payload");
        FileSigner.Sign(file, _key, "env:prod");
        var sig = file + ".minisig";
        File.WriteAllText(sig, File.ReadAllText(sig).Replace("env:prod", "env:dev", StringComparison.Ordinal));

        AssertRefused(ExitCode.TrustedCommentModified, "trusted comment was modified", () => SignatureVerifier.Verify(file, [_key.PublicKey], requirePrehashed: false));
    }

    [Fact]
    public void A_signature_by_another_key_names_both_key_ids()
    {
        var file = _work.WriteFile("data.bin", "payload");
        FileSigner.Sign(file, _key);
        var other = MinisignSecretKey.Generate().PublicKey;

        var error = AssertRefused(ExitCode.UnknownKey, _key.KeyId, () => SignatureVerifier.Verify(file, [other], requirePrehashed: false));
        Assert.Contains(other.KeyId, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Any_of_several_trusted_keys_may_have_signed()
    {
        var file = _work.WriteFile("data.bin", "payload");
        FileSigner.Sign(file, _key);
        Assert.Equal(_key.KeyId, SignatureVerifier.Verify(file, [MinisignSecretKey.Generate().PublicKey, _key.PublicKey], requirePrehashed: true).KeyId);
    }

    [Fact]
    public void A_missing_signature_file_is_its_own_error()
    {
        var file = _work.WriteFile("data.bin", "payload");
        AssertRefused(ExitCode.SignatureMissing, file + ".minisig", () => SignatureVerifier.Verify(file, [_key.PublicKey], requirePrehashed: false));
    }

    [Fact]
    public void A_malformed_signature_file_is_a_bad_signature()
    {
        var file = _work.WriteFile("data.bin", "payload");
        _work.WriteFile("data.bin.minisig", "untrusted comment: x\nnot base64\ntrusted comment: y\nzzz\n");
        AssertRefused(ExitCode.BadSignature, "not a minisign signature", () => SignatureVerifier.Verify(file, [_key.PublicKey], requirePrehashed: false));
    }

    [Fact]
    public void Minisigns_prehashed_signature_verifies()
    {
        var file = _work.WriteFile("f", MinisignVectors.Message);
        _work.WriteFile("f.minisig", MinisignVectors.PrehashedSignature);
        var key = MinisignPublicKey.Load(_work.WriteFile("p.pub", MinisignVectors.PasswordPublicKeyFile));

        var verified = SignatureVerifier.Verify(file, [key], requirePrehashed: true);

        Assert.Equal(MinisignVectors.PasswordKeyId, verified.KeyId);
        Assert.Equal("timestamp:1795615997\tfile:f\thashed", verified.TrustedComment);
    }

    [Fact]
    public void Minisigns_legacy_signature_verifies_unless_prehashing_is_required()
    {
        var file = _work.WriteFile("f", MinisignVectors.Message);
        _work.WriteFile("f.minisig", MinisignVectors.LegacySignature);
        var key = MinisignPublicKey.Parse(MinisignVectors.UnencryptedPublicKey, "vector");

        var verified = SignatureVerifier.Verify(file, [key], requirePrehashed: false);

        Assert.False(verified.Prehashed);
        Assert.Equal("timestamp:1795616364\tfile:f", verified.TrustedComment);
        AssertRefused(ExitCode.BadSignature, "legacy", () => SignatureVerifier.Verify(file, [key], requirePrehashed: true));
    }

    [Fact]
    public void A_key_loaded_from_minisigns_unencrypted_file_signs_what_minisigns_public_key_verifies()
    {
        var secret = MinisignSecretKey.Load(_work.WriteFile("w.key", MinisignVectors.UnencryptedSecretKey), () => "");
        var file = _work.WriteFile("data.bin", "payload");
        FileSigner.Sign(file, secret);

        var verified = SignatureVerifier.Verify(file, [MinisignPublicKey.Parse(MinisignVectors.UnencryptedPublicKey, "vector")], requirePrehashed: true);

        Assert.Equal(MinisignVectors.UnencryptedKeyId, verified.KeyId);
    }

    [Theory]
    [InlineData("two\nlines")]
    [InlineData("carriage\rreturn")]
    public void A_trusted_comment_must_be_one_line(string comment)
    {
        var file = _work.WriteFile("data.bin", "payload");
        AssertRefused(ExitCode.Usage, "one-line", () => FileSigner.Sign(file, _key, comment));
    }

    [Fact]
    public void The_archive_comment_round_trips()
    {
        var comment = new ArchiveTrustedComment(new string('a', 64), "py311", "0.1.0", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        Assert.Equal($"envship:1\tsha256:{new string('a', 64)}\tenv:py311\tversion:0.1.0\tcreated:2026-01-02T03:04:05Z", comment.ToString());
        Assert.Equal(comment, ArchiveTrustedComment.TryParse(comment.ToString()));
        Assert.Null(ArchiveTrustedComment.TryParse("timestamp:1795616364\tfile:f"));
    }

    public void Dispose() => _work.Dispose();

    private static EnvshipException AssertRefused(ExitCode code, string fragment, Action action)
    {
        var error = Assert.Throws<EnvshipException>(action);
        Assert.Equal(code, error.Code);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        return error;
    }
}
