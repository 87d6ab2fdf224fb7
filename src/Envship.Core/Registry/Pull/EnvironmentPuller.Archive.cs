using Envship.Core.Archive;
using Envship.Core.Archive.Compression;
using Envship.Core.Archive.Tar;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;
using Envship.Core.Scanning;
using Envship.Core.Hashing;

namespace Envship.Core.Registry.Pull;

// pull -o: the layers back into one standard archive, written beside the output and renamed into place.
public static partial class EnvironmentPuller
{
    /// <summary>
    /// Writes a single-file tar.zst: the manifest member (the config's bytes, with its digest
    /// comment), the exports, then every member in layer order (the base's directories first). Each
    /// blob's digest is checked as it streams and each file's SHA-256 against the manifest; on any
    /// failure nothing is left at <paramref name="output"/>.
    /// </summary>
    public static async Task<PullResult> PullToArchiveAsync(IOciSource source, string reference, string output, PullOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(output);
        options ??= new PullOptions();
        output = Path.GetFullPath(output);
        OutputFile.ClaimOrThrow(output, options.Force);
        var environment = await ResolveAsync(source, reference, cancellationToken).ConfigureAwait(false);
        var temporary = OutputFile.TemporaryPath(output);
        var configPath = temporary + "-config";
        try
        {
            var manifest = await FetchConfigAsync(source, environment, configPath, cancellationToken).ConfigureAwait(false);
            var configSha256 = environment.Image.Config.Digest["sha256:".Length..];
            long fetched = environment.Manifest.Content.Length + environment.Image.Config.Size;
            var createdNs = (manifest.Created - DateTimeOffset.UnixEpoch).Ticks * 100;
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                using (var writer = new TarArchiveWriter(file, ArchiveFormat.TarZst, options.Level, options.Jobs, manifest.ArchiveRoot.Trim('/')))
                {
                    using (var json = File.OpenRead(configPath))
                    {
                        writer.WriteManifest(json, configSha256, createdNs);
                    }

                    var copier = new LayerCopier(manifest, writer, createdNs, environment.Location);
                    var total = environment.Image.Layers.Sum(l => l.Size);
                    long done = 0;
                    for (var i = 0; i < environment.Image.Layers.Count; i++)
                    {
                        var layer = environment.Image.Layers[i];
                        var title = layer.Annotations?.GetValueOrDefault(OciAnnotations.Title) ?? $"layer {i + 1}";
                        using var blob = new VerifyingBlobStream(await source.OpenBlobAsync(layer, 0, cancellationToken).ConfigureAwait(false), layer, $"{environment.Location}: layer '{title}'");
                        copier.Copy(blob, title, cancellationToken);
                        fetched += layer.Size;
                        done += layer.Size;
                        options.Progress?.Report(new PullProgress(title, i + 1, environment.Image.Layers.Count, done, total));
                    }

                    copier.EnsureComplete();
                }

                file.Flush(flushToDisk: true);
            }

            UnixFileSystem.Rename(temporary, output);
            return new PullResult(output, environment.Manifest.Digest, configSha256, fetched, environment.Image.Layers.Count, new FileInfo(output).Length);
        }
        finally
        {
            File.Delete(configPath);
            File.Delete(temporary);
        }
    }

    /// <summary>Checks each layer's members against the manifest and writes them on with the manifest's modes and mtimes.</summary>
    private sealed class LayerCopier(Manifest manifest, TarArchiveWriter writer, long createdNs, string location)
    {
        private readonly Dictionary<string, ManifestEntry> _expected = manifest.Entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
        private readonly Dictionary<string, ManifestMetadataFile> _metadata = manifest.Metadata.ToDictionary(m => m.Path, StringComparer.Ordinal);
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

        public void Copy(VerifyingBlobStream blob, string title, CancellationToken cancellationToken)
        {
            var what = $"{location}: layer '{title}'";
            try
            {
                using (var decompressed = ZstdStreams.Decompressor(blob))
                using (var tar = new StrictTarReader(decompressed))
                {
                    while (tar.MoveNext())
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        CopyMember(tar, what);
                    }

                    tar.ReadTrailer();
                    decompressed.CopyTo(Stream.Null);
                }

                blob.Verify();
            }
            catch (TarFormatException ex)
            {
                throw new EnvshipException(ExitCode.DamagedArchive, $"{what}: {ex.Message}. The layer is damaged or was tampered with; nothing was written.", ex);
            }
            catch (Exception ex) when (ArchiveReader.IsDamage(ex))
            {
                // A damaged blob shows first as a decompression error, before its digest can be checked.
                throw blob.Damaged($"it cannot be read ({ex.Message})");
            }
        }

        public void EnsureComplete()
        {
            if (_seen.Count != _expected.Count + _metadata.Count)
            {
                var missing = manifest.Metadata.Select(m => m.Path).Concat(manifest.Entries.Select(e => e.Path)).First(p => !_seen.Contains(p));
                throw new EnvshipException(ExitCode.DamagedArchive, $"{location}: no layer holds '{missing}', which the manifest lists. The artifact is incomplete; push it again.");
            }
        }

        private void CopyMember(StrictTarReader tar, string what)
        {
            var name = tar.Name.Length > 1 ? tar.Name.TrimEnd('/') : tar.Name;
            if (!_seen.Add(name))
            {
                throw new EnvshipException(ExitCode.DamagedArchive, $"{what}: member '{name}' appears twice. The artifact was tampered with.");
            }

            if (_metadata.TryGetValue(name, out var export))
            {
                if (tar.TypeFlag is not ((byte)'0' or 0) || tar.Size != export.Size)
                {
                    throw new EnvshipException(ExitCode.DamagedArchive, $"{what}: export '{name}' is not the {export.Size}-byte file the manifest lists. The artifact was tampered with.");
                }

                using var data = new MemoryStream((int)export.Size);
                tar.Data.CopyTo(data);
                var bytes = data.ToArray();
                if (Sha256.HexOf(bytes) != export.Sha256)
                {
                    throw new EnvshipException(ExitCode.DamagedArchive, $"{what}: export '{name}' does not match the SHA-256 in the manifest. The artifact was tampered with.");
                }

                writer.WriteMetadata(name, bytes, createdNs);
                return;
            }

            if (!_expected.TryGetValue(name, out var entry))
            {
                throw new EnvshipException(ExitCode.DamagedArchive, $"{what}: member '{name}' is not in the manifest. The artifact was tampered with; do not use it.");
            }

            var type = tar.TypeFlag switch
            {
                (byte)'0' or 0 => EntryType.File,
                (byte)'5' => EntryType.Directory,
                (byte)'2' => EntryType.Symlink,
                (byte)'1' => EntryType.Hardlink,
                _ => (EntryType?)null,
            };
            if (type != entry.Type || (type is EntryType.Symlink or EntryType.Hardlink && tar.LinkName != entry.Target)
                || (type == EntryType.Hardlink && !_seen.Contains(entry.Target!)) || (type == EntryType.File && tar.Size != entry.Size))
            {
                throw new EnvshipException(ExitCode.DamagedArchive, $"{what}: member '{name}' is not the {entry.Type.ToString().ToLowerInvariant()} the manifest lists (type, size or link target differ, or a hard link comes before its file). The artifact was tampered with.");
            }

            if (type != EntryType.File)
            {
                writer.Add(new InventoryItem(entry, null));
                return;
            }

            using var file = new SizedHashingStream(tar.Data, entry.Size);
            writer.AddFile(entry, file);
            if (file.HashHex() != entry.Sha256)
            {
                throw new EnvshipException(ExitCode.DamagedArchive, $"{what}: file '{name}' does not match the SHA-256 in the manifest. The artifact was tampered with or damaged; nothing was written.");
            }
        }
    }
}
