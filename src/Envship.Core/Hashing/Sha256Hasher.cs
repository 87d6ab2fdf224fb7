using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;

namespace Envship.Core.Hashing;

/// <summary>An incremental SHA-256 over whichever implementation <see cref="Sha256"/> chose for this process.</summary>
public sealed class Sha256Hasher : IDisposable
{
    private readonly IncrementalHash? _native;
    private readonly Sha256Digest? _managed;

    internal Sha256Hasher(bool openSsl)
    {
        if (openSsl)
        {
            _native = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }
        else
        {
            _managed = new Sha256Digest();
        }
    }

    public void AppendData(ReadOnlySpan<byte> data)
    {
        if (_native is not null)
        {
            _native.AppendData(data);
        }
        else
        {
            _managed!.BlockUpdate(data);
        }
    }

    public void AppendData(byte[] data, int offset, int count) => AppendData(data.AsSpan(offset, count));

    /// <summary>The hash of everything appended since the last reset; starts over.</summary>
    public byte[] GetHashAndReset()
    {
        if (_native is not null)
        {
            return _native.GetHashAndReset();
        }

        var hash = new byte[Sha256.HashSizeInBytes];
        _managed!.DoFinal(hash); // DoFinal resets the digest.
        return hash;
    }

    /// <summary>The hash of everything appended so far; appending continues from there.</summary>
    public byte[] GetCurrentHash()
    {
        if (_native is not null)
        {
            return _native.GetCurrentHash();
        }

        var hash = new byte[Sha256.HashSizeInBytes];
        new Sha256Digest(_managed!).DoFinal(hash);
        return hash;
    }

    public void Dispose() => _native?.Dispose();
}
