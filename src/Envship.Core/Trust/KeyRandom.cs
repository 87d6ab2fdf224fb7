using System.Security.Cryptography;
using Envship.Core.Hashing;

namespace Envship.Core.Trust;

/// <summary>
/// Random bytes for keys and salts. .NET on Linux draws them from OpenSSL and aborts the process where there is
/// none, so without OpenSSL they come from the kernel's /dev/urandom, the same source OpenSSL seeds from.
/// </summary>
internal static class KeyRandom
{
    public static void Fill(Span<byte> destination)
    {
        if (OpenSsl.IsAvailable)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }

        using var urandom = new FileStream("/dev/urandom", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        urandom.ReadExactly(destination);
    }

    public static byte[] GetBytes(int count)
    {
        var bytes = new byte[count];
        Fill(bytes);
        return bytes;
    }
}
