using System.Text;

namespace Envship.Core.Trust;

/// <summary>
/// A <c>.minisig</c> file: <c>untrusted comment:</c> line, base64 of <c>algorithm (2) || key id (8) || signature (64)</c>,
/// <c>trusted comment:</c> line, base64 of the global signature over <c>signature || trusted comment</c>.
/// Algorithm <c>ED</c> signs BLAKE2b-512 of the file; legacy <c>Ed</c> signs the file itself.
/// </summary>
public sealed record MinisignSignature(
    bool Prehashed,
    byte[] KeyIdBytes,
    byte[] Signature,
    string UntrustedComment,
    string TrustedComment,
    byte[] GlobalSignature)
{
    private const int SignatureLength = 64;
    private const int EncodedLength = 2 + MinisignPublicKey.KeyIdLength + SignatureLength;

    public string KeyId => MinisignPublicKey.FormatKeyId(KeyIdBytes);

    /// <summary>The trusted comment's bytes as read, which is what was signed even when they are not valid UTF-8.</summary>
    internal byte[] SignedCommentBytes => _rawComment ?? Encoding.UTF8.GetBytes(TrustedComment);

    private byte[]? _rawComment;

    public string ToFileText() =>
        $"{MinisignFormat.UntrustedPrefix}{UntrustedComment}\n"
        + Convert.ToBase64String([.. Prehashed ? MinisignFormat.PrehashedAlgorithm : MinisignFormat.SignatureAlgorithm, .. KeyIdBytes, .. Signature]) + "\n"
        + $"{MinisignFormat.TrustedPrefix}{TrustedComment}\n"
        + Convert.ToBase64String(GlobalSignature) + "\n";

    /// <summary>Reads a signature file; a missing file is <see cref="ExitCode.SignatureMissing"/>, a malformed one <see cref="ExitCode.BadSignature"/>.</summary>
    public static MinisignSignature Load(string path, string signedFile)
    {
        ArgumentNullException.ThrowIfNull(path);
        var lines = MinisignFormat.ReadLines(
            path,
            "signature",
            ExitCode.SignatureMissing,
            path == FileSigner.SignaturePathFor(signedFile)
                ? $"Copy the signature published with {Path.GetFileName(signedFile)} next to it as {Path.GetFileName(path)}; if you are the publisher, sign the file with 'envship sign {signedFile}'."
                : $"Check the signature's path; if you are the publisher, sign the file with 'envship sign {signedFile}'.");
        return Parse(lines, File.ReadAllBytes(path), path);
    }

    /// <summary>Reads a signature held in memory (one embedded in an installer); <paramref name="label"/> names it in errors.</summary>
    public static MinisignSignature Parse(byte[] content, string label)
    {
        ArgumentNullException.ThrowIfNull(content);
        var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetString(content);
        return Parse([.. text.Split('\n').Select(l => l.TrimEnd('\r'))], content, label);
    }

    private static MinisignSignature Parse(IReadOnlyList<string> lines, byte[] content, string path)
    {
        if (lines.Count < 4
            || !lines[0].StartsWith(MinisignFormat.UntrustedPrefix, StringComparison.Ordinal)
            || !lines[2].StartsWith(MinisignFormat.TrustedPrefix, StringComparison.Ordinal))
        {
            throw Malformed(path, "does not have minisign's four lines (untrusted comment, signature, trusted comment, global signature)");
        }

        var signature = MinisignFormat.DecodeBase64(lines[1].Trim(), EncodedLength);
        var global = MinisignFormat.DecodeBase64(lines[3].Trim(), SignatureLength);
        if (signature is null || global is null)
        {
            throw Malformed(path, "has a signature line that is not base64 of the right length");
        }

        var algorithm = signature.AsSpan(0, 2);
        var prehashed = algorithm.SequenceEqual(MinisignFormat.PrehashedAlgorithm);
        if (!prehashed && !algorithm.SequenceEqual(MinisignFormat.SignatureAlgorithm))
        {
            throw Malformed(path, $"uses signature algorithm '{MinisignFormat.Printable(algorithm)}', but only 'ED' and legacy 'Ed' exist");
        }

        // Like minisign, only the line end is stripped: a trailing space or tab is part of what was signed.
        var trusted = lines[2][MinisignFormat.TrustedPrefix.Length..];
        return new MinisignSignature(
            prehashed,
            signature[2..(2 + MinisignPublicKey.KeyIdLength)],
            signature[(2 + MinisignPublicKey.KeyIdLength)..],
            lines[0][MinisignFormat.UntrustedPrefix.Length..],
            trusted,
            global)
        {
            _rawComment = RawLine(content, 2)[Encoding.UTF8.GetByteCount(MinisignFormat.TrustedPrefix)..],
        };
    }

    private static byte[] RawLine(byte[] content, int index)
    {
        var rest = content.AsSpan();
        for (var i = 0; i < index; i++)
        {
            rest = rest[(rest.IndexOf((byte)'\n') + 1)..];
        }

        var end = rest.IndexOf((byte)'\n');
        var line = end < 0 ? rest : rest[..end];
        return line.TrimEnd((byte)'\r').ToArray();
    }

    private static EnvshipException Malformed(string path, string cause) =>
        new(ExitCode.BadSignature, $"{path}: {cause}, so it is not a minisign signature. Sign the file again with envship sign or minisign -S.");
}
