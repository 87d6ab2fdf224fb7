using System.Buffers;
using System.Security.Cryptography;
using Envship.Core.Archive;
using Envship.Core.Platform;

namespace Envship.Core.Deploy;

public readonly record struct DeployProgress(int EntriesDone, int EntriesTotal, long BytesDone, long BytesTotal);

/// <summary>
/// Writes archive members into the staging directory, each checked against its manifest entry
/// (type, size, SHA-256) as it streams, relocated right after it is verified, then given its mode and mtime.
/// </summary>
internal sealed class StagingExtractor(string staging, ArchiveReader reader, RelocationTarget target, IProgress<DeployProgress>? progress, PermissionPolicy? policy = null)
{
    // A lying size must end as a refusal when the data runs out, not as ENOSPC from reserving it up front.
    private const long MaxPreallocation = 256L << 20;

    private readonly Manifest _manifest = reader.Manifest;
    private readonly PermissionPolicy _policy = policy ?? PermissionPolicy.Default;
    private readonly Dictionary<string, string> _deployedHashes = new(StringComparer.Ordinal);
    private readonly StagingPaths _paths = new(staging, reader.ArchivePath);

    public int FilesRelocated { get; private set; }

    /// <summary>Returns the SHA-256 of every regular file as it now stands in staging.</summary>
    public Dictionary<string, string> ExtractAll(CancellationToken cancellationToken)
    {
        var expected = _manifest.Entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
        var done = new Dictionary<string, EntryType>(StringComparer.Ordinal);
        var bytesTotal = _manifest.Entries.Sum(e => e.Type == EntryType.File ? e.Size : 0);
        long bytesDone = 0;
        foreach (var member in reader.ReadMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (var parent = Path.GetDirectoryName(member.Path); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
            {
                if (done.TryGetValue(parent, out var parentType) && parentType != EntryType.Directory)
                {
                    throw Damaged($"member '{member.Path}' would be written through '{parent}', a {parentType.ToString().ToLowerInvariant()} extracted before it; envship never writes through links, so nothing was written");
                }
            }

            if (!expected.TryGetValue(member.Path, out var entry))
            {
                throw Damaged($"member '{member.Path}' is not in the manifest");
            }

            if (!done.TryAdd(member.Path, member.Type))
            {
                throw Damaged($"member '{member.Path}' appears twice (a duplicate entry could overwrite a verified file)");
            }

            if (member.Type != entry.Type)
            {
                throw Damaged($"member '{member.Path}' is a {member.Type} but the manifest says {entry.Type}");
            }

            if (entry.Type == EntryType.File && member.Size != entry.Size)
            {
                throw Damaged($"member '{member.Path}' holds {member.Size} bytes by its tar header but the manifest declares {entry.Size}");
            }

            Extract(member, entry);
            bytesDone += entry.Type == EntryType.File ? entry.Size : 0;
            progress?.Report(new DeployProgress(done.Count, expected.Count, bytesDone, bytesTotal));
        }

        if (done.Count != expected.Count)
        {
            var missing = _manifest.Entries.First(e => !done.ContainsKey(e.Path)).Path;
            throw Damaged($"it ends before '{missing}' ({expected.Count - done.Count} of {expected.Count} entries missing): the archive is truncated");
        }

        return _deployedHashes;
    }

    /// <summary>Directory modes and mtimes go last, deepest first, so writing children cannot disturb them.</summary>
    public void FinishDirectories()
    {
        foreach (var entry in _manifest.Entries.Where(e => e.Type == EntryType.Directory).Reverse())
        {
            var path = Path.Combine(staging, entry.Path);
            File.SetUnixFileMode(path, (UnixFileMode)_policy.Decide(entry).Mode);
            UnixFileSystem.SetModifiedTime(path, entry.MtimeNs);
        }

        SharedInstall.SetGroup(staging, _policy);
        File.SetUnixFileMode(staging, (UnixFileMode)_policy.DecideRoot(_manifest.Root.Mode).Mode);
        UnixFileSystem.SetModifiedTime(staging, _manifest.Root.MtimeNs);
    }

    private void Extract(ArchiveMember member, ManifestEntry entry)
    {
        if (entry.Type == EntryType.Directory)
        {
            _paths.EnsureDirectory(entry.Path);
            SharedInstall.SetGroup(Path.Combine(staging, entry.Path), _policy);
            return;
        }

        var path = _paths.PrepareEntry(entry.Path);
        switch (entry.Type)
        {
            case EntryType.Symlink:
                if (member.LinkTarget != entry.Target)
                {
                    throw Damaged($"symlink '{entry.Path}' points to '{member.LinkTarget}' but the manifest says '{entry.Target}'");
                }

                File.CreateSymbolicLink(path, entry.Target!);
                SharedInstall.SetGroup(path, _policy);
                UnixFileSystem.SetModifiedTime(path, entry.MtimeNs);
                return;
            case EntryType.Hardlink:
                if (member.LinkTarget != entry.Target)
                {
                    throw Damaged($"hard link '{entry.Path}' points to '{member.LinkTarget}' but the manifest says '{entry.Target}'");
                }

                if (!_deployedHashes.TryGetValue(entry.Target!, out var targetHash))
                {
                    throw Damaged($"hard link '{entry.Path}' points to '{entry.Target}', which has not been extracted before it: a hard link may only share data with an earlier regular file of the archive");
                }

                UnixFileSystem.HardLink(Path.Combine(staging, entry.Target!), path);
                _deployedHashes[entry.Path] = targetHash;
                return;
            default:
                WriteVerified(member.Data, entry, path);
                var relocated = FileRelocationApplier.Apply(path, entry, target);
                if (relocated is not null)
                {
                    FilesRelocated++;
                }

                _deployedHashes[entry.Path] = relocated ?? entry.Sha256!;
                SharedInstall.SetGroup(path, _policy);
                File.SetUnixFileMode(path, (UnixFileMode)_policy.Decide(entry).Mode);
                UnixFileSystem.SetModifiedTime(path, entry.MtimeNs);
                return;
        }
    }

    private void WriteVerified(Stream? data, ManifestEntry entry, string path)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long written = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            using var output = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 0, PreallocationSize = Math.Min(entry.Size, MaxPreallocation) });
            if (data is not null)
            {
                int read;
                while ((read = ReadData(data, buffer, entry)) > 0)
                {
                    written += read;
                    if (written > entry.Size)
                    {
                        throw Damaged($"'{entry.Path}' holds more than the {entry.Size} bytes the manifest declares");
                    }

                    hash.AppendData(buffer, 0, read);
                    output.Write(buffer, 0, read);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (written != entry.Size || actual != entry.Sha256)
        {
            throw Damaged($"'{entry.Path}' does not match the manifest (expected {entry.Size} bytes with sha256 {entry.Sha256}, found {written} bytes with sha256 {actual})");
        }
    }

    private int ReadData(Stream data, byte[] buffer, ManifestEntry entry)
    {
        try
        {
            return data.Read(buffer, 0, buffer.Length);
        }
        catch (Exception ex) when (ArchiveReader.IsDamage(ex))
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{reader.ArchivePath}: the archive is damaged inside '{entry.Path}' ({ex.Message}). Copy the archive again and check its sha256.", ex);
        }
    }

    private EnvshipException Damaged(string what) =>
        new(ExitCode.DamagedArchive, $"{reader.ArchivePath}: {what}. The archive is damaged or was tampered with; copy it again and check its sha256.");
}
