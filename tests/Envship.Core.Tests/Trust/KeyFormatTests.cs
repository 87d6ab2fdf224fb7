using Envship.Core.Trust;
using Envship.Testing;

namespace Envship.Core.Tests.Trust;

public sealed class KeyFormatTests : IDisposable
{
    /// <summary>N=2^10 and 1 MiB: minisign reads the limits from the file, so tests need not pay for 1 GiB.</summary>
    internal static readonly ScryptCost Cheap = new(32_768, 2_097_152);

    private readonly TempDirectory _work = new("envship-keys-");

    [Fact]
    public void An_encrypted_key_round_trips_with_its_password()
    {
        var key = MinisignSecretKey.Generate();
        var path = _work.WriteFile("enc.key", key.ToFileText("correct horse", Cheap));

        var loaded = MinisignSecretKey.Load(path, () => "correct horse");

        Assert.Equal(key.KeyId, loaded.KeyId);
        Assert.Equal(key.PublicKey.ToBase64(), loaded.PublicKey.ToBase64());
    }

    [Fact]
    public void A_wrong_password_is_a_bad_key_error_that_says_so()
    {
        var path = _work.WriteFile("enc.key", MinisignSecretKey.Generate().ToFileText("right", Cheap));

        var error = Assert.Throws<EnvshipException>(() => MinisignSecretKey.Load(path, () => "wrong"));

        Assert.Equal(ExitCode.BadKey, error.Code);
        Assert.Contains("wrong password", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unencrypted_key_never_asks_for_a_password()
    {
        var key = MinisignSecretKey.Generate();
        var path = _work.WriteFile("plain.key", key.ToFileText(password: null, Cheap));

        var loaded = MinisignSecretKey.Load(path, () => throw new InvalidOperationException("asked for a password"));

        Assert.Equal(key.KeyId, loaded.KeyId);
    }

    [Fact]
    public void Minisigns_unencrypted_key_with_a_zero_checksum_loads()
    {
        var path = _work.WriteFile("minisign-W.key", MinisignVectors.UnencryptedSecretKey);

        var key = MinisignSecretKey.Load(path, () => throw new InvalidOperationException("asked for a password"));

        Assert.Equal(MinisignVectors.UnencryptedKeyId, key.KeyId);
        Assert.Equal(MinisignVectors.UnencryptedPublicKey, key.PublicKey.ToBase64());
    }

    [Fact]
    public void The_public_key_file_names_the_key_id_like_minisign()
    {
        var key = MinisignPublicKey.Parse(MinisignVectors.UnencryptedPublicKey, "vector");
        var path = _work.WriteFile("k.pub", key.ToFileText());

        Assert.Equal($"untrusted comment: minisign public key {MinisignVectors.UnencryptedKeyId}\n{MinisignVectors.UnencryptedPublicKey}\n", File.ReadAllText(path));
        Assert.Equal(MinisignVectors.UnencryptedKeyId, MinisignPublicKey.Load(path).KeyId);
    }

    [Theory]
    [InlineData("not base64 at all")]
    [InlineData("RWRk/tqcyUZLJRGeyEdutJ3bNxffMQGaKE9NHb3SKS3f")] // too short
    [InlineData("WFhk/tqcyUZLJRGeyEdutJ3bNxffMQGaKE9NHb3SKS3fRhhwHquJqfhM")] // algorithm "XX"
    public void A_malformed_public_key_is_a_bad_key_error(string text)
    {
        var error = Assert.Throws<EnvshipException>(() => MinisignPublicKey.Parse(text, "-P"));
        Assert.Equal(ExitCode.BadKey, error.Code);
        Assert.StartsWith("-P: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_damaged_secret_key_is_a_bad_key_error()
    {
        var path = _work.WriteFile("damaged.key", "untrusted comment: x\nRWQAAEIy\n");
        var error = Assert.Throws<EnvshipException>(() => MinisignSecretKey.Load(path, () => "x"));
        Assert.Equal(ExitCode.BadKey, error.Code);
    }

    [Fact]
    public void Keygen_writes_the_secret_key_with_mode_0600_and_refuses_to_overwrite()
    {
        var pub = _work.Combine("k.pub");
        var sec = _work.Combine("k.key");
        KeyGenerator.Generate(pub, sec, "pw", Cheap, force: false);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(sec));
        var error = Assert.Throws<EnvshipException>(() => KeyGenerator.Generate(pub, sec, "pw", Cheap, force: false));
        Assert.Equal(ExitCode.DestinationExists, error.Code);
        KeyGenerator.Generate(pub, sec, null, Cheap, force: true);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(sec));
    }

    public void Dispose() => _work.Dispose();
}
