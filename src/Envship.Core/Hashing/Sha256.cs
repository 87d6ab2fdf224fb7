using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;

namespace Envship.Core.Hashing;

/// <summary>
/// SHA-256 for all of envship. .NET's implementation (OpenSSL on Linux, with SHA-NI) is used wherever OpenSSL
/// loads; on a machine without it (slim containers, small boards) a managed one is, so a hash never aborts
/// the process. Hex digests are lower case, as everywhere in the manifest.
/// </summary>
public static class Sha256
{
    public const int HashSizeInBytes = 32;

    /// <summary>True when hashes go through .NET's OpenSSL-backed implementation, false when through the managed one.</summary>
    public static bool UsesOpenSsl => OpenSsl.IsAvailable;

    public static byte[] HashData(ReadOnlySpan<byte> data) => HashData(data, UsesOpenSsl);

    public static void HashData(ReadOnlySpan<byte> data, Span<byte> destination) => HashData(data, destination, UsesOpenSsl);

    /// <summary>Reads <paramref name="stream"/> to its end.</summary>
    public static byte[] HashData(Stream stream) => HashData(stream, UsesOpenSsl);

    public static string HexOf(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(HashData(data));

    public static string HexOf(Stream stream) => Convert.ToHexStringLower(HashData(stream));

    /// <summary>An incremental hasher; the caller disposes it.</summary>
    public static Sha256Hasher CreateHasher() => new(UsesOpenSsl);

    internal static byte[] HashData(ReadOnlySpan<byte> data, bool openSsl)
    {
        var hash = new byte[HashSizeInBytes];
        HashData(data, hash, openSsl);
        return hash;
    }

    internal static void HashData(ReadOnlySpan<byte> data, Span<byte> destination, bool openSsl)
    {
        if (openSsl)
        {
            SHA256.HashData(data, destination);
            return;
        }

        var digest = new Sha256Digest();
        digest.BlockUpdate(data);
        digest.DoFinal(destination);
    }

    internal static byte[] HashData(Stream stream, bool openSsl)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (openSsl)
        {
            return SHA256.HashData(stream);
        }

        using var hasher = new Sha256Hasher(openSsl: false);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            hasher.AppendData(buffer.AsSpan(0, read));
        }

        return hasher.GetHashAndReset();
    }
}
