using Envship.Core.Archive;
using Envship.Core.Archive.Compression;
using Envship.Core.Archive.Tar;
using Envship.Core.Manifests;

namespace Envship.Core.Registry.Artifact;

/// <summary>
/// Copies an archive's first member, the manifest, byte for byte: the artifact's config must be
/// exactly those bytes, so that its digest is the manifest digest <c>inspect</c> shows.
/// </summary>
internal static class ArchiveManifestBytes
{
    /// <summary>Writes the manifest's bytes to <paramref name="outputPath"/> and checks them against <paramref name="expectedSha256"/>.</summary>
    public static OciDescriptor Copy(string archivePath, ArchiveFormat format, string expectedSha256, string outputPath)
    {
        using var output = new FileStream(outputPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        using var hashing = new LayerWriter.HashingWriteStream(output);
        if (format == ArchiveFormat.Directory)
        {
            using var json = File.OpenRead(Path.Combine(archivePath, Manifest.EntryName));
            json.CopyTo(hashing);
        }
        else
        {
            using var file = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            using var decompressed = format switch
            {
                ArchiveFormat.TarZst => ZstdStreams.Decompressor(file),
                ArchiveFormat.TarGz => new StrictGzipStream(file),
                _ => (Stream)file,
            };
            using var tar = new StrictTarReader(decompressed);
            if (!tar.MoveNext() || !tar.Name.EndsWith(Manifest.EntryName, StringComparison.Ordinal) || tar.Size > ExpansionLimitStream.ManifestCap)
            {
                throw new EnvshipException(ExitCode.DamagedArchive, $"{archivePath}: the first member is not {Manifest.EntryName}. Pack the environment again with 'envship pack'.");
            }

            tar.Data.CopyTo(hashing);
        }

        hashing.Flush();
        var digest = hashing.HashHex();
        if (digest != expectedSha256)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{archivePath}: the manifest changed while it was read (sha256 {digest}, first read as {expectedSha256}). Leave the archive alone while it is pushed and try again.");
        }

        return new OciDescriptor { MediaType = OciMediaTypes.ManifestConfig, Digest = "sha256:" + digest, Size = hashing.BytesWritten };
    }
}
