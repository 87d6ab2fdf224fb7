using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Hashing;

namespace Envship.Core.Archive;

/// <summary>
/// The SHA-256 of the manifest's bytes, carried in its member's pax header. zstd and gzip check
/// their own content, but a plain tar protects only its 512-byte headers, so without this a flipped
/// digit in a mode or a relocation offset would deploy silently wrong. The pax keyword is
/// <c>comment</c>, which POSIX tells every reader to ignore, so GNU tar stays quiet about it.
/// </summary>
public static class ManifestDigest
{
    public const string Keyword = "comment";
    public const string Prefix = "envship-manifest-sha256:";

    public static KeyValuePair<string, string>[] Attribute(ReadOnlySpan<byte> json) => Attribute(Sha256.HexOf(json));

    public static KeyValuePair<string, string>[] Attribute(string sha256Hex) => [new(Keyword, Prefix + sha256Hex)];

    /// <summary>
    /// Refuses a manifest whose digest does not match. A plain tar must carry one; compressed
    /// archives assembled by other tools may omit it, as their compression checksum covers the bytes.
    /// </summary>
    /// <param name="member">The manifest member's name in the tar.</param>
    /// <param name="comment">Its pax <c>comment</c> record, if it has one.</param>
    /// <param name="actual">The SHA-256 of the member's bytes as read; null when they could not all be read.</param>
    public static void Verify(string member, string? comment, string? actual, string archivePath, bool required)
    {
        string? declared = null;
        if (comment is not null && comment.StartsWith(Prefix, StringComparison.Ordinal))
        {
            declared = comment[Prefix.Length..];
        }

        if (declared is null)
        {
            if (required)
            {
                throw new EnvshipException(ExitCode.DamagedArchive, $"{archivePath}: member '{member}' carries no manifest digest, so nothing in a plain tar protects the manifest from corruption. Pack the environment again with this envship, or with 'envship pack --format tar.zst'.");
            }

            return;
        }

        if (actual is not null && !string.Equals(declared, actual, StringComparison.Ordinal))
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{archivePath}: member '{member}' does not match its digest (the manifest's sha256 is {actual}, its header declares {declared}): the manifest is damaged or was edited. Copy the archive again and check its sha256.");
        }
    }
}
