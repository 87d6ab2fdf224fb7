using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Envship.Core.Trust;

/// <summary>
/// A minisign secret key. The file's second line is base64 of
/// <c>"Ed" || kdf ("Sc" or "\0\0") || "B2" || salt (32) || opslimit (8, LE) || memlimit (8, LE) || keynum_sk</c>,
/// where <c>keynum_sk = key id (8) || seed and public key (64) || BLAKE2b-256("Ed" || key id || seed and public key)</c>,
/// XORed with the scrypt keystream of the password when the kdf is <c>Sc</c>.
/// </summary>
public sealed class MinisignSecretKey
{
    private const int SaltLength = 32;
    private const int SecretLength = 64;
    private const int ChecksumLength = 32;
    private const int KeynumOffset = 2 + 2 + 2 + SaltLength + 8 + 8;
    private const int KeynumLength = MinisignPublicKey.KeyIdLength + SecretLength + ChecksumLength;
    private const int EncodedLength = KeynumOffset + KeynumLength;

    private readonly Ed25519PrivateKeyParameters _key;

    private MinisignSecretKey(byte[] keyId, Ed25519PrivateKeyParameters key)
    {
        _key = key;
        PublicKey = new MinisignPublicKey(keyId, key.GeneratePublicKey().GetEncoded());
    }

    public MinisignPublicKey PublicKey { get; }

    public string KeyId => PublicKey.KeyId;

    public static MinisignSecretKey Generate() =>
        new(KeyRandom.GetBytes(MinisignPublicKey.KeyIdLength), new Ed25519PrivateKeyParameters(KeyRandom.GetBytes(32)));

    /// <summary>
    /// Reads and, when it is encrypted, decrypts a secret key file. <paramref name="password"/> is
    /// asked only for an encrypted key, so unencrypted (<c>-W</c>) keys never prompt.
    /// </summary>
    public static MinisignSecretKey Load(string path, Func<string> password)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(password);
        var lines = MinisignFormat.ReadLines(path, "secret key", ExitCode.Usage, "Pass the secret key written by envship keygen or minisign -G with -s.");
        var bytes = lines.Count >= 2 ? MinisignFormat.DecodeBase64(lines[1].Trim(), EncodedLength) : null;
        if (bytes is null)
        {
            throw Damaged(path, $"is not a minisign secret key file (expected a comment line, then base64 of {EncodedLength} bytes)");
        }

        try
        {
            return Decode(bytes, path, password);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>
    /// The key file's text. With a password the key is encrypted at <paramref name="cost"/>;
    /// without one it is stored in the clear, as <c>minisign -G -W</c> does.
    /// </summary>
    public string ToFileText(string? password, ScryptCost cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        var bytes = new byte[EncodedLength];
        var span = bytes.AsSpan();
        MinisignFormat.SignatureAlgorithm.CopyTo(span);
        (password is null ? MinisignFormat.NoKdf : MinisignFormat.ScryptAlgorithm).CopyTo(span[2..]);
        MinisignFormat.Blake2bChecksum.CopyTo(span[4..]);
        var keynum = span[KeynumOffset..];
        PublicKey.KeyIdBytes.CopyTo(keynum);
        _key.Encode(keynum[MinisignPublicKey.KeyIdLength..]);
        PublicKey.Key.CopyTo(keynum[(MinisignPublicKey.KeyIdLength + 32)..]);
        Checksum(PublicKey.KeyIdBytes, keynum.Slice(MinisignPublicKey.KeyIdLength, SecretLength)).CopyTo(keynum[(MinisignPublicKey.KeyIdLength + SecretLength)..]);
        if (password is not null)
        {
            var salt = span.Slice(6, SaltLength);
            KeyRandom.Fill(salt);
            BinaryPrimitives.WriteUInt64LittleEndian(span[(6 + SaltLength)..], cost.OpsLimit);
            BinaryPrimitives.WriteUInt64LittleEndian(span[(6 + SaltLength + 8)..], cost.MemLimit);
            var stream = ScryptBox.Keystream(password, salt, cost, KeynumLength, "new secret key");
            ScryptBox.Xor(keynum, stream);
            CryptographicOperations.ZeroMemory(stream);
        }

        var comment = password is null ? "minisign unencrypted secret key" : "minisign encrypted secret key";
        var text = $"{MinisignFormat.UntrustedPrefix}{comment}\n{Convert.ToBase64String(bytes)}\n";
        CryptographicOperations.ZeroMemory(bytes);
        return text;
    }

    internal byte[] Sign(byte[] message)
    {
        var signer = new Ed25519Signer();
        signer.Init(forSigning: true, _key);
        signer.BlockUpdate(message, 0, message.Length);
        return signer.GenerateSignature();
    }

    private static MinisignSecretKey Decode(byte[] bytes, string path, Func<string> password)
    {
        var span = bytes.AsSpan();
        if (!span[..2].SequenceEqual(MinisignFormat.SignatureAlgorithm))
        {
            throw Damaged(path, $"uses signature algorithm '{MinisignFormat.Printable(span[..2])}', but only Ed25519 ('Ed') keys exist");
        }

        if (!span[4..6].SequenceEqual(MinisignFormat.Blake2bChecksum))
        {
            throw Damaged(path, $"uses checksum algorithm '{MinisignFormat.Printable(span[4..6])}', but only BLAKE2b ('B2') exists");
        }

        var keynum = span[KeynumOffset..];
        var encrypted = span[2..4].SequenceEqual(MinisignFormat.ScryptAlgorithm);
        if (encrypted)
        {
            var cost = new ScryptCost(BinaryPrimitives.ReadUInt64LittleEndian(span[(6 + SaltLength)..]), BinaryPrimitives.ReadUInt64LittleEndian(span[(6 + SaltLength + 8)..]));
            var stream = ScryptBox.Keystream(password(), span.Slice(6, SaltLength), cost, KeynumLength, path);
            ScryptBox.Xor(keynum, stream);
            CryptographicOperations.ZeroMemory(stream);
        }
        else if (!span[2..4].SequenceEqual(MinisignFormat.NoKdf))
        {
            throw Damaged(path, $"uses key derivation '{MinisignFormat.Printable(span[2..4])}', but only scrypt ('Sc') or none exists");
        }

        var keyId = keynum[..MinisignPublicKey.KeyIdLength].ToArray();
        var secret = keynum.Slice(MinisignPublicKey.KeyIdLength, SecretLength);
        var stored = keynum.Slice(MinisignPublicKey.KeyIdLength + SecretLength, ChecksumLength);
        var expected = Checksum(keyId, secret);

        // minisign -W leaves the checksum zero: with no password there is nothing for it to check.
        if (!stored.SequenceEqual(expected) && (encrypted || stored.ContainsAnyExcept((byte)0)))
        {
            throw encrypted
                ? new EnvshipException(ExitCode.BadKey, $"{path}: wrong password for this secret key (its checksum does not match after decryption). Type the password it was created with, or set ENVSHIP_PASSWORD to it.")
                : Damaged(path, "fails its checksum, so it is damaged");
        }

        var key = new Ed25519PrivateKeyParameters(secret[..32]);
        if (!key.GeneratePublicKey().GetEncoded().AsSpan().SequenceEqual(secret[32..]))
        {
            throw Damaged(path, "holds a public half that does not belong to its secret half, so it is damaged");
        }

        return new MinisignSecretKey(keyId, key);
    }

    private static byte[] Checksum(ReadOnlySpan<byte> keyId, ReadOnlySpan<byte> secret)
    {
        var digest = new Blake2bDigest(ChecksumLength * 8);
        digest.BlockUpdate(MinisignFormat.SignatureAlgorithm);
        digest.BlockUpdate(keyId);
        digest.BlockUpdate(secret);
        var result = new byte[ChecksumLength];
        digest.DoFinal(result);
        return result;
    }

    private static EnvshipException Damaged(string path, string cause) =>
        new(ExitCode.BadKey, $"{path}: {cause}. Pass the secret key written by envship keygen or minisign -G, or create a new pair with envship keygen.");
}
