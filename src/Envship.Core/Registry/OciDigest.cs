using System.Text.RegularExpressions;
using Envship.Core.Hashing;

namespace Envship.Core.Registry;

/// <summary>Content digests as OCI writes them: <c>sha256:</c> and 64 lowercase hex digits.</summary>
public static partial class OciDigest
{
    public static bool IsValid(string? digest) => digest is not null && Sha256Grammar().IsMatch(digest);

    public static string Of(ReadOnlySpan<byte> content) => "sha256:" + Sha256.HexOf(content);

    /// <summary>The referrers tag schema's tag for a subject: <c>sha256-HEX</c>.</summary>
    public static string ReferrersTag(string subjectDigest)
    {
        ArgumentNullException.ThrowIfNull(subjectDigest);
        return subjectDigest.Replace(':', '-');
    }

    [GeneratedRegex("^sha256:[a-f0-9]{64}$")]
    private static partial Regex Sha256Grammar();
}
