using System.Buffers.Binary;
using System.Globalization;
using Org.BouncyCastle.Crypto.Parameters;

namespace Envship.Core.Trust;

/// <summary>
/// A minisign public key: <c>base64("Ed" || key id (8) || Ed25519 public key (32))</c>, in a file
/// after one <c>untrusted comment:</c> line, or alone as the string <c>minisign -P</c> takes.
/// </summary>
public sealed class MinisignPublicKey
{
    internal const int KeyIdLength = 8;
    internal const int KeyLength = 32;
    private const int EncodedLength = 2 + KeyIdLength + KeyLength;

    internal MinisignPublicKey(byte[] keyId, byte[] key)
    {
        KeyIdBytes = keyId;
        Key = key;
        Parameters = new Ed25519PublicKeyParameters(key);
    }

    /// <summary>The key id as minisign prints it: the 8 bytes read little-endian, 16 upper-case hex digits.</summary>
    public string KeyId => FormatKeyId(KeyIdBytes);

    internal byte[] KeyIdBytes { get; }
    internal byte[] Key { get; }
    internal Ed25519PublicKeyParameters Parameters { get; }

    /// <summary>The one-line form, as given to <c>minisign -P</c> or <c>envship verify-signature -P</c>.</summary>
    public string ToBase64() => Convert.ToBase64String([.. MinisignFormat.SignatureAlgorithm, .. KeyIdBytes, .. Key]);

    /// <summary>The file form: an untrusted comment naming the key id, then the base64 line.</summary>
    public string ToFileText() => $"{MinisignFormat.UntrustedPrefix}minisign public key {KeyId}\n{ToBase64()}\n";

    /// <summary>Parses the one-line form; <paramref name="source"/> names where it came from in errors.</summary>
    public static MinisignPublicKey Parse(string base64, string source)
    {
        ArgumentNullException.ThrowIfNull(base64);
        var bytes = MinisignFormat.DecodeBase64(base64.Trim(), EncodedLength);
        if (bytes is null)
        {
            throw BadKey(source, $"is not a minisign public key (expected base64 of {EncodedLength} bytes)");
        }

        if (!bytes.AsSpan(0, 2).SequenceEqual(MinisignFormat.SignatureAlgorithm))
        {
            throw BadKey(source, $"uses signature algorithm '{MinisignFormat.Printable(bytes.AsSpan(0, 2))}', but only Ed25519 ('Ed') keys exist");
        }

        try
        {
            return new MinisignPublicKey(bytes[2..(2 + KeyIdLength)], bytes[(2 + KeyIdLength)..]);
        }
        catch (ArgumentException)
        {
            throw BadKey(source, "holds bytes that are not an Ed25519 public key");
        }
    }

    /// <summary>Reads a public key file: the first line is an untrusted comment, the second the key.</summary>
    public static MinisignPublicKey Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var lines = MinisignFormat.ReadLines(path, "public key", ExitCode.BadKey, "Pass the public key file written by envship keygen or minisign -G.");
        if (lines.Count < 2 || !lines[0].StartsWith(MinisignFormat.UntrustedPrefix, StringComparison.Ordinal))
        {
            throw BadKey(path, "is not a minisign public key file (expected an 'untrusted comment:' line, then the key)");
        }

        return Parse(lines[1], path);
    }

    internal static string FormatKeyId(ReadOnlySpan<byte> keyId) =>
        BinaryPrimitives.ReadUInt64LittleEndian(keyId).ToString("X16", CultureInfo.InvariantCulture);

    private static EnvshipException BadKey(string source, string cause) =>
        new(ExitCode.BadKey, $"{source}: {cause}. Pass the public key written by envship keygen or minisign -G (the line starting with RW).");
}
