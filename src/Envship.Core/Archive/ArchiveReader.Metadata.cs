using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Hashing;

namespace Envship.Core.Archive;

// The embedded .envship/ metadata members (exports), each checked against the manifest.
public sealed partial class ArchiveReader
{
    /// <summary>
    /// The <c>.envship/</c> members that follow the manifest (embedded exports), checked against the
    /// manifest's <c>metadata</c> hashes. Reads only those members; call it before <see cref="ReadMembers"/>.
    /// </summary>
    public IReadOnlyDictionary<string, byte[]> ReadMetadata()
    {
        if (_tar is null)
        {
            foreach (var file in Manifest.Metadata)
            {
                if (!file.Path.StartsWith(".envship/", StringComparison.Ordinal) || !ManifestValidator.IsSafeRelativePath(file.Path))
                {
                    throw new EnvshipException(ExitCode.DamagedArchive, $"{ArchivePath}: the manifest's metadata names '{file.Path}', which is not a plain path under .envship/. The archive was tampered with.");
                }

                var full = System.IO.Path.Combine(ArchivePath, file.Path);
                if (File.Exists(full))
                {
                    _metadata[file.Path] = Checked(file, File.ReadAllBytes(full));
                }
            }

            return _metadata;
        }

        while (!_pending && NextEntry())
        {
            _pending = !TryKeepMetadata();
        }

        return _metadata;
    }

    private bool TryKeepMetadata()
    {
        var name = StripPrefix(_tar!.Name, "member");
        if (!name.StartsWith(".envship/", StringComparison.Ordinal))
        {
            return false;
        }

        _lastMember = name;
        var expected = Manifest.Metadata.FirstOrDefault(m => m.Path == name);
        if (expected is null || _tar.TypeFlag is not ((byte)'0' or 0))
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{ArchivePath}: member '{name}' is not listed in the manifest's metadata. The archive was not made by envship or was tampered with.");
        }

        // Held in memory, so its size is checked against the manifest before a byte of it is read.
        if (_tar.Size != expected.Size)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{ArchivePath}: member '{name}' holds {_tar.Size} bytes by its tar header but the manifest's metadata declares {expected.Size}. Copy the archive again; if it persists, the archive was tampered with.");
        }

        using var data = new MemoryStream((int)Math.Min(expected.Size, 1 << 20));
        try
        {
            _tar.Data.CopyTo(data);
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            throw Damaged(ex);
        }

        _metadata[name] = Checked(expected, data.ToArray());
        return true;
    }

    private byte[] Checked(ManifestMetadataFile expected, byte[] bytes)
    {
        if (bytes.Length != expected.Size || Sha256.HexOf(bytes) != expected.Sha256)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{ArchivePath}: member '{expected.Path}' does not match the SHA-256 in the manifest. Copy the archive again; if it persists, the archive was tampered with.");
        }

        return bytes;
    }
}
