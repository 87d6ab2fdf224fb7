using System.Globalization;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Hashing;

namespace Envship.Core.Trust;

/// <summary>What <c>envship pack --sign</c> puts in the trusted comment, so that it is signed along with the archive.</summary>
public sealed record ArchiveTrustedComment(string Sha256, string Environment, string EnvshipVersion, DateTimeOffset Created)
{
    private const string Marker = "envship:1";

    /// <summary>One line, tab-separated <c>key:value</c> fields, like minisign's own default comment.</summary>
    public override string ToString() =>
        string.Join('\t', Marker, $"sha256:{Sha256}", $"env:{Environment}", $"version:{EnvshipVersion}", $"created:{Created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}");

    /// <summary>Reads a comment written by <see cref="ToString"/>; null for any other comment (minisign's, a user's).</summary>
    public static ArchiveTrustedComment? TryParse(string comment)
    {
        ArgumentNullException.ThrowIfNull(comment);
        var fields = comment.Split('\t');
        if (fields.Length < 5 || fields[0] != Marker)
        {
            return null;
        }

        var values = fields.Skip(1).Select(f => f.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        return values.TryGetValue("sha256", out var sha)
            && values.TryGetValue("env", out var env)
            && values.TryGetValue("version", out var version)
            && values.TryGetValue("created", out var created)
            && DateTimeOffset.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when)
            ? new ArchiveTrustedComment(sha, env, version, when)
            : null;
    }
}

/// <summary>Signs a finished archive: one read computes both the SHA-256 for the comment and the BLAKE2b-512 that is signed.</summary>
public static class ArchiveSignature
{
    public static ArchiveTrustedComment Sign(string archive, Manifest manifest, MinisignSecretKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(key);
        if (Directory.Exists(archive))
        {
            throw new EnvshipException(ExitCode.Usage, $"{archive}: is a directory (--format dir), and only a single archive file can be signed. Pack to tar.zst, tar.gz or tar to sign it.");
        }

        using var sha256 = Sha256.CreateHasher();
        var prehash = SignedContent.Prehash(archive, sha256, cancellationToken);
        var comment = new ArchiveTrustedComment(
            Convert.ToHexStringLower(sha256.GetHashAndReset()),
            EnvironmentName(manifest, archive),
            manifest.EnvshipVersion,
            manifest.Created);
        var signature = FileSigner.SignPrehash(prehash, key, comment.ToString(), FileSigner.DefaultUntrustedComment);
        MinisignFormat.WriteAtomically(FileSigner.SignaturePathFor(archive), signature.ToFileText(), MinisignFormat.PublicFileMode);
        return comment;
    }

    private static string EnvironmentName(Manifest manifest, string archive)
    {
        var name = manifest.Environments.FirstOrDefault(e => e.Path.Length == 0)?.Name
            ?? Path.GetFileName(manifest.SourcePrefix.TrimEnd('/'));
        if (name.Length == 0)
        {
            name = Path.GetFileName(archive);
        }

        return string.Concat(name.Select(c => char.IsWhiteSpace(c) || char.IsControl(c) ? '_' : c));
    }
}
