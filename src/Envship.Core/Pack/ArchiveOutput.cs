using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Platform;
using Envship.Core.Scanning;

namespace Envship.Core.Pack;

/// <summary>Writes the manifest and members to a temporary name and renames it over the output only when complete.</summary>
internal static class ArchiveOutput
{
    public static long Write(string output, PackOptions options, Manifest manifest, IReadOnlyList<(string Name, byte[] Content)> metadata, IReadOnlyList<InventoryItem> items, CancellationToken cancellationToken)
    {
        var temporary = OutputFile.TemporaryPath(output);
        try
        {
            var json = ManifestJson.Serialize(manifest);
            var createdNs = (manifest.Created - DateTimeOffset.UnixEpoch).Ticks * 100;
            var bytesTotal = manifest.Summary.TotalBytes;
            long bytesDone = 0;
            var filesDone = 0;
            using (var writer = OpenWriter(temporary, options))
            {
                writer.WriteManifest(json, createdNs);
                foreach (var (name, content) in metadata)
                {
                    writer.WriteMetadata(name, content, createdNs);
                }

                foreach (var item in items)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    writer.Add(item);
                    if (item.Entry.Type == EntryType.File)
                    {
                        filesDone++;
                        bytesDone += item.Entry.Size;
                        options.Progress?.Report(new PackProgress(PackPhase.Writing, filesDone, manifest.Summary.Files, bytesDone, bytesTotal));
                    }
                }
            }

            ReplaceOutput(temporary, output);
            return options.Format == ArchiveFormat.Directory ? bytesTotal : new FileInfo(output).Length;
        }
        catch (IOException ex) when (ex is not EndOfStreamException)
        {
            RemoveTemporary(temporary);
            throw new EnvshipException(ExitCode.IoFailure, $"{output}: cannot write the archive ({ex.Message}). Free space or fix permissions and pack again; nothing was left behind.", ex);
        }
        catch
        {
            RemoveTemporary(temporary);
            throw;
        }
    }

    /// <summary>
    /// One pass over the data: members go to the temporary file as each file is read, after room
    /// for the head that <paramref name="headReserve"/> sizes (asked once reading has begun), then
    /// the manifest that <paramref name="describe"/> builds from what was read goes in front of them.
    /// </summary>
    public static (Manifest Manifest, long Written) WriteSinglePass(
        string output,
        PackOptions options,
        Func<long> headReserve,
        Action<Func<TarArchiveWriter>, ManifestEntrySpool> writeMembers,
        Func<(Manifest Manifest, IReadOnlyList<(string Name, byte[] Content)> Metadata)> describe)
    {
        var temporary = OutputFile.TemporaryPath(output);
        var scratch = temporary + "-joined";
        var level = options.CompressionLevel ?? ArchiveFormats.DefaultLevel(options.Format);
        var root = options.ArchiveRoot.Trim('/');
        FileStream? file = null;
        TarArchiveWriter? members = null;
        try
        {
            using var entries = new ManifestEntrySpool(temporary + "-entries");
            long reserved = 0;
            writeMembers(
                () =>
                {
                    reserved = options.Format == ArchiveFormat.TarZst ? headReserve() : 0;
                    file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, WriteSize.Max) { Position = reserved };
                    return members = new TarArchiveWriter(file, options.Format, level, options.Jobs, root);
                },
                entries);
            members!.Dispose();
            members = null;
            file!.Dispose();
            file = null;

            var (manifest, metadata) = describe();
            ArchiveHead.Place(temporary, ArchiveHead.Compress(manifest, entries, metadata, options.Format, level, options.Jobs, root, temporary + "-manifest"), reserved, options.Format, scratch);
            ReplaceOutput(temporary, output);
            return (manifest, new FileInfo(output).Length);
        }
        catch (IOException ex) when (ex is not EndOfStreamException)
        {
            Abandon(members, file);
            RemoveTemporary(temporary);
            RemoveTemporary(scratch);
            throw new EnvshipException(ExitCode.IoFailure, $"{output}: cannot write the archive ({ex.Message}). Free space or fix permissions and pack again; nothing was left behind.", ex);
        }
        catch
        {
            Abandon(members, file);
            RemoveTemporary(temporary);
            RemoveTemporary(scratch);
            throw;
        }
    }

    /// <summary>Closes what a failed pack left open, so that its temporary file can go; their own errors add nothing.</summary>
    private static void Abandon(TarArchiveWriter? members, FileStream? file)
    {
        try
        {
            members?.Dispose();
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or ObjectDisposedException)
        {
        }

        try
        {
            file?.Dispose();
        }
        catch (IOException)
        {
        }
    }

    private static IArchiveWriter OpenWriter(string temporary, PackOptions options)
    {
        if (options.Format == ArchiveFormat.Directory)
        {
            return new DirectoryArchiveWriter(temporary);
        }

        var level = options.CompressionLevel ?? ArchiveFormats.DefaultLevel(options.Format);
        var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, WriteSize.Max);
        return new OwningWriter(new TarArchiveWriter(file, options.Format, level, options.Jobs, options.ArchiveRoot.Trim('/')), file);
    }

    private static void ReplaceOutput(string temporary, string output)
    {
        if (Directory.Exists(output))
        {
            StagingDirectory.Remove(output);
        }

        UnixFileSystem.Rename(temporary, output);
    }

    private static void RemoveTemporary(string temporary)
    {
        if (Directory.Exists(temporary))
        {
            StagingDirectory.Remove(temporary);
        }
        else if (File.Exists(temporary))
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Closes the file only after the compressor has flushed its last frame into it.</summary>
    private sealed class OwningWriter(TarArchiveWriter writer, FileStream file) : IArchiveWriter
    {
        public void WriteManifest(byte[] json, long mtimeNs) => writer.WriteManifest(json, mtimeNs);

        public void WriteMetadata(string name, byte[] content, long mtimeNs) => writer.WriteMetadata(name, content, mtimeNs);

        public void Add(InventoryItem item) => writer.Add(item);

        public void Dispose()
        {
            writer.Dispose();
            file.Flush();
            file.Dispose();
        }
    }
}
