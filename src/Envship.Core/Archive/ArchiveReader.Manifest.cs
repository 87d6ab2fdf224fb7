using Envship.Core.Archive.Tar;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive;

// The first member: the manifest, parsed as it streams, hashed, and checked against its digest.
public sealed partial class ArchiveReader
{
    private static Manifest ParseManifest(Stream json, string source, string archivePath)
    {
        try
        {
            return ManifestJson.Deserialize(json, source);
        }
        catch (InvalidDataException ex) when (ex.InnerException is System.Text.Json.JsonException || ex.InnerException is null)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{archivePath}: {ex.Message} The archive is damaged or was not made by envship; copy it again.", ex);
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{archivePath}: the manifest is damaged ({ex.Message}). Copy the archive again.", ex);
        }
    }

    /// <summary>The parser may stop at the closing brace; whatever follows must still be read, hashed and counted.</summary>
    private static void DrainManifest(HashingReadStream json, long length, string path)
    {
        try
        {
            json.CopyTo(Stream.Null);
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: the manifest is damaged ({ex.Message}). Copy the archive again.", ex);
        }

        if (json.BytesRead != length)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: the manifest is damaged (it ends after {json.BytesRead} of {length} bytes). Copy the archive again.");
        }
    }

    private static void DrainManifestQuietly(HashingReadStream json)
    {
        try
        {
            json.CopyTo(Stream.Null);
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            // The parse error already being reported is the better message.
        }
    }

    private static (Manifest Manifest, string Sha256, string MemberPrefix) ReadManifest(string path, StrictTarReader tar, bool digestRequired)
    {
        bool found;
        try
        {
            found = tar.MoveNext();
        }
        catch (TarFormatException ex)
        {
            var where = ex.Member is null ? "" : $" '{ex.Member}'";
            throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: the first member{where}, which should be '{Manifest.EntryName}', {ex.Message}. {Fix(ex)}", ex);
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: cannot read the first member, '{Manifest.EntryName}' ({ex.Message}). The file is damaged or not an envship archive; copy it again.", ex);
        }

        var name = found ? tar.Name : "";
        if (!found || !name.EndsWith(Manifest.EntryName, StringComparison.Ordinal) || tar.TypeFlag is (byte)'1' or (byte)'2' or (byte)'5')
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: the first member is not {Manifest.EntryName}, so this is not an envship archive. Pack it with 'envship pack'.");
        }

        var length = tar.Size;
        if (tar.TypeFlag is not ((byte)'0' or 0) || length > ExpansionLimitStream.ManifestCap)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: member '{name}' is a tar entry of type '{(char)tar.TypeFlag}' of {length} bytes; a manifest is a regular file of at most {ExpansionLimitStream.ManifestCap} bytes. The archive is damaged or was tampered with; do not deploy it.");
        }

        // Parsed as it streams and hashed on the way: the JSON bytes are never held whole beside the object graph.
        // The digest is still checked before a parse error is reported, so damage reads as damage.
        var comment = tar.Comment;
        using var hashing = new HashingReadStream(tar.Data);
        Manifest manifest;
        try
        {
            manifest = ParseManifest(hashing, name, path);
            DrainManifest(hashing, length, path);
        }
        catch (EnvshipException)
        {
            DrainManifestQuietly(hashing);
            ManifestDigest.Verify(name, comment, hashing.BytesRead == length ? hashing.HashHex() : null, path, digestRequired);
            throw;
        }

        var digest = hashing.HashHex();
        ManifestDigest.Verify(name, comment, digest, path, digestRequired);
        var prefix = name[..^Manifest.EntryName.Length];
        if (manifest.ArchiveRoot is null || prefix != (manifest.ArchiveRoot.Length == 0 ? "" : manifest.ArchiveRoot.TrimEnd('/') + "/"))
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: the manifest sits under '{prefix}' but declares archive root '{manifest.ArchiveRoot}'. The archive was tampered with.");
        }

        return (manifest, digest, prefix);
    }
}
