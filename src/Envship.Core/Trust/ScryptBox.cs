using System.Text;
using Org.BouncyCastle.Crypto.Generators;

namespace Envship.Core.Trust;

/// <summary>
/// The cost of deriving a secret key's keystream from its password, stored in the key file as
/// libsodium's <c>crypto_pwhash_scryptsalsa208sha256</c> limits (operations and bytes).
/// </summary>
public sealed record ScryptCost(ulong OpsLimit, ulong MemLimit)
{
    /// <summary>What <c>minisign -G</c> uses (libsodium's "sensitive" limits): 1 GiB and a few seconds.</summary>
    public static ScryptCost Default { get; } = new(33_554_432, 1_073_741_824);

    /// <summary>
    /// libsodium's mapping from limits to scrypt's N, r and p. It must be reproduced exactly:
    /// minisign stores only the limits, so any other mapping derives another keystream.
    /// </summary>
    public (int LogN, int R, int P) Parameters()
    {
        const int R = 8;
        var ops = Math.Max(OpsLimit, 32_768UL);
        int logN;
        if (ops < MemLimit / 32)
        {
            logN = LowestLogNAbove((ops / (R * 4)) / 2);
            return (logN, R, 1);
        }

        logN = LowestLogNAbove((MemLimit / (R * 128)) / 2);
        var maxRp = Math.Min((ops / 4) / (1UL << logN), 0x3fff_ffffUL);
        return (logN, R, (int)((uint)maxRp / R));
    }

    private static int LowestLogNAbove(ulong bound)
    {
        var logN = 1;
        while (logN < 63 && (1UL << logN) <= bound)
        {
            logN++;
        }

        return logN;
    }
}

/// <summary>The password-derived keystream that is XORed over a minisign secret key (kdf algorithm <c>Sc</c>).</summary>
internal static class ScryptBox
{
    /// <summary>scrypt needs 128·N·r bytes; refuse what a key file could claim beyond any sane machine.</summary>
    private const int MaxLogN = 24;

    public static byte[] Keystream(string password, ReadOnlySpan<byte> salt, ScryptCost cost, int length, string keyFile)
    {
        var (logN, r, p) = cost.Parameters();
        if (logN > MaxLogN || p < 1)
        {
            throw new EnvshipException(
                ExitCode.BadKey,
                $"{keyFile}: the key's scrypt limits (opslimit {cost.OpsLimit}, memlimit {cost.MemLimit}) give N=2^{logN}, p={p}, which envship refuses. "
                + "Re-encrypt the key with minisign -C or create a new one with envship keygen.");
        }

        return SCrypt.Generate(Encoding.UTF8.GetBytes(password), salt.ToArray(), 1 << logN, r, p, length);
    }

    public static void Xor(Span<byte> data, ReadOnlySpan<byte> keystream)
    {
        for (var i = 0; i < data.Length; i++)
        {
            data[i] ^= keystream[i];
        }
    }
}
