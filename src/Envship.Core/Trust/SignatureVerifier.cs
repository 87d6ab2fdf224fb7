using Org.BouncyCastle.Crypto.Signers;

namespace Envship.Core.Trust;

/// <summary>A signature that checked out: which trusted key made it, and the comment it vouches for.</summary>
public sealed record VerifiedSignature(string KeyId, string TrustedComment, bool Prehashed);

/// <summary>
/// Checks a file against its minisign signature and a set of trusted keys, in minisign's order,
/// but with a distinct exit code for each way it can fail, so callers (deploy, scripts) can tell them apart.
/// </summary>
public static class SignatureVerifier
{
    public static VerifiedSignature Verify(string file, IReadOnlyList<MinisignPublicKey> keys, bool requirePrehashed) =>
        Verify(file, keys, requirePrehashed, signaturePath: null);

    /// <summary>
    /// Verifies <paramref name="file"/> against <paramref name="signaturePath"/> (default <c>FILE.minisig</c>).
    /// Throws <see cref="EnvshipException"/> with <see cref="ExitCode.SignatureMissing"/>, <see cref="ExitCode.UnknownKey"/>,
    /// <see cref="ExitCode.BadSignature"/> or <see cref="ExitCode.TrustedCommentModified"/>.
    /// </summary>
    public static VerifiedSignature Verify(string file, IReadOnlyList<MinisignPublicKey> keys, bool requirePrehashed, string? signaturePath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            throw new ArgumentException("at least one trusted key is needed", nameof(keys));
        }

        var sigPath = signaturePath ?? FileSigner.SignaturePathFor(file);
        var signature = MinisignSignature.Load(sigPath, file);
        return Verify(file, sigPath, signature, () => new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0), keys, requirePrehashed, cancellationToken);
    }

    /// <summary>
    /// Verifies the content <paramref name="open"/> returns (the file <paramref name="file"/>, or the part of it
    /// that was signed) against <paramref name="signature"/>, read from <paramref name="sigPath"/>.
    /// </summary>
    public static VerifiedSignature Verify(string file, string sigPath, MinisignSignature signature, Func<Stream> open, IReadOnlyList<MinisignPublicKey> keys, bool requirePrehashed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(keys);
        if (!signature.Prehashed && requirePrehashed)
        {
            throw new EnvshipException(
                ExitCode.BadSignature,
                $"{sigPath}: a legacy (non-prehashed 'Ed') signature, refused by --require-prehashed. Sign {Path.GetFileName(file)} again with envship sign or minisign -S, which prehash.");
        }

        var key = keys.FirstOrDefault(k => k.KeyIdBytes.AsSpan().SequenceEqual(signature.KeyIdBytes));
        if (key is null)
        {
            throw new EnvshipException(
                ExitCode.UnknownKey,
                $"{sigPath}: signed by key {signature.KeyId}, which is not a trusted key (trusted: {string.Join(", ", keys.Select(k => k.KeyId))}). "
                + "Pass the public key of the signer, or ask for a signature made with a key you trust.");
        }

        byte[] message;
        using (var content = open())
        {
            message = signature.Prehashed ? SignedContent.Prehash(content, file, cancellationToken: cancellationToken) : SignedContent.Legacy(content, file);
        }

        if (!Check(key, signature.Signature, message))
        {
            throw new EnvshipException(
                ExitCode.BadSignature,
                $"{file}: does not match its signature {sigPath} from key {key.KeyId}: the file was modified or damaged after signing, or the signature belongs to another file. "
                + "Do not use this file; fetch it and its signature again from the source.");
        }

        if (!Check(key, signature.GlobalSignature, [.. signature.Signature, .. signature.SignedCommentBytes]))
        {
            throw new EnvshipException(
                ExitCode.TrustedCommentModified,
                $"{sigPath}: the trusted comment was modified after signing (the file's own signature is good, the comment's is not). "
                + "Do not trust this signature; fetch the original signature file from the source.");
        }

        return new VerifiedSignature(key.KeyId, signature.TrustedComment, signature.Prehashed);
    }

    private static bool Check(MinisignPublicKey key, byte[] signature, byte[] message)
    {
        var verifier = new Ed25519Signer();
        verifier.Init(forSigning: false, key.Parameters);
        verifier.BlockUpdate(message, 0, message.Length);
        return verifier.VerifySignature(signature);
    }
}
