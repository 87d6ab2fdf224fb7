using Org.BouncyCastle.Crypto.Digests;
using Envship.Core.Hashing;

namespace Envship.Core.Trust;

/// <summary>What an Ed25519 signature covers: BLAKE2b-512 of the file (<c>ED</c>) or, for legacy <c>Ed</c>, the file itself.</summary>
internal static class SignedContent
{
    public const int PrehashLength = 64;

    /// <summary>minisign refuses to load more than this for a legacy signature, which holds the whole file in memory.</summary>
    private const long LegacyLimit = 1L << 30;

    /// <summary>Streams the file once; <paramref name="sha256"/>, when given, sees the same bytes.</summary>
    public static byte[] Prehash(string path, Sha256Hasher? sha256 = null, CancellationToken cancellationToken = default)
    {
        using var stream = Open(path);
        return Prehash(stream, path, sha256, cancellationToken);
    }

    /// <summary>Streams <paramref name="stream"/> (a file, or a part of one) once; <paramref name="path"/> names it in errors.</summary>
    public static byte[] Prehash(Stream stream, string path, Sha256Hasher? sha256 = null, CancellationToken cancellationToken = default)
    {
        var digest = new Blake2bDigest(PrehashLength * 8);
        var buffer = new byte[1 << 20];
        {
            int read;
            while ((read = Read(stream, buffer, path)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                digest.BlockUpdate(buffer, 0, read);
                sha256?.AppendData(buffer, 0, read);
            }
        }

        var result = new byte[PrehashLength];
        digest.DoFinal(result, 0);
        return result;
    }

    public static byte[] Legacy(string path)
    {
        using var stream = Open(path);
        return Legacy(stream, path);
    }

    public static byte[] Legacy(Stream stream, string path)
    {
        if (stream.Length > LegacyLimit)
        {
            throw new EnvshipException(ExitCode.BadSignature, $"{path}: its signature is a legacy (non-prehashed) one, which minisign limits to files under 1 GiB. Sign it again with envship sign or minisign -S, which prehash.");
        }

        var content = new byte[stream.Length];
        var done = 0;
        int read;
        while (done < content.Length && (read = Read(stream, content.AsSpan(done), path)) > 0)
        {
            done += read;
        }

        return content[..done];
    }

    private static FileStream Open(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new EnvshipException(ExitCode.Usage, $"{path}: does not exist. Check the path of the file to sign or verify.", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EnvshipException(ExitCode.IoFailure, $"{path}: cannot read: {ex.Message} Check its permissions.", ex);
        }
    }

    private static int Read(Stream stream, Span<byte> buffer, string path)
    {
        try
        {
            return stream.Read(buffer);
        }
        catch (IOException ex)
        {
            throw new EnvshipException(ExitCode.IoFailure, $"{path}: reading failed: {ex.Message} Check the disk.", ex);
        }
    }
}
