using System.Globalization;
using System.Text;

namespace Envship.Core.Trust;

/// <summary>Signs files the way <c>minisign -S</c> does, always prehashed (<c>ED</c>), and writes <c>FILE.minisig</c>.</summary>
public static class FileSigner
{
    public const string DefaultUntrustedComment = "signature from envship secret key";

    /// <summary>minisign's default: the signing time, the file's name and the fact that it was prehashed.</summary>
    public static string DefaultTrustedComment(string file, DateTimeOffset now) =>
        string.Create(CultureInfo.InvariantCulture, $"timestamp:{now.ToUnixTimeSeconds()}\tfile:{Path.GetFileName(file)}\thashed");

    public static string SignaturePathFor(string file) => file + MinisignFormat.SignatureSuffix;

    /// <summary>Signs <paramref name="file"/> and writes the signature to <paramref name="signaturePath"/> (default <c>FILE.minisig</c>).</summary>
    public static MinisignSignature Sign(
        string file,
        MinisignSecretKey key,
        string? trustedComment = null,
        string? untrustedComment = null,
        string? signaturePath = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(key);
        var trusted = trustedComment ?? DefaultTrustedComment(file, DateTimeOffset.UtcNow);
        var untrusted = untrustedComment ?? DefaultUntrustedComment;
        CheckComment(trusted, "trusted", "-t", MinisignFormat.MaxTrustedCommentBytes);
        CheckComment(untrusted, "untrusted", "-c", MinisignFormat.MaxUntrustedCommentBytes);
        var signature = SignPrehash(SignedContent.Prehash(file, cancellationToken: cancellationToken), key, trusted, untrusted);
        MinisignFormat.WriteAtomically(signaturePath ?? SignaturePathFor(file), signature.ToFileText(), MinisignFormat.PublicFileMode);
        return signature;
    }

    internal static MinisignSignature SignPrehash(byte[] prehash, MinisignSecretKey key, string trustedComment, string untrustedComment)
    {
        var signature = key.Sign(prehash);
        var global = key.Sign([.. signature, .. Encoding.UTF8.GetBytes(trustedComment)]);
        return new MinisignSignature(Prehashed: true, key.PublicKey.KeyIdBytes, signature, untrustedComment, trustedComment, global);
    }

    private static void CheckComment(string comment, string kind, string flag, int maxBytes)
    {
        if (comment.AsSpan().IndexOfAny('\n', '\r') >= 0 || comment.Contains('\0', StringComparison.Ordinal))
        {
            throw new EnvshipException(ExitCode.Usage, $"the {kind} comment holds a line break or NUL, which a signature file cannot store. Pass a one-line comment with {flag}.");
        }

        if (Encoding.UTF8.GetByteCount(comment) > maxBytes)
        {
            throw new EnvshipException(ExitCode.Usage, $"the {kind} comment is longer than {maxBytes} bytes, which minisign cannot read. Pass a shorter one with {flag}.");
        }
    }
}
