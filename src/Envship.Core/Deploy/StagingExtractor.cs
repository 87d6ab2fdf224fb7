using System.Buffers;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;
using Microsoft.Win32.SafeHandles;

namespace Envship.Core.Deploy;

/// <summary>Regular files and their bytes, the unit the deploy summary counts too.</summary>
public readonly record struct DeployProgress(int FilesDone, int FilesTotal, long BytesDone, long BytesTotal);

/// <summary>
/// Writes archive members into the staging directory, each checked against its manifest entry
/// (type, size, SHA-256) as it streams, relocated right after it is verified, then given its mode and mtime.
/// A small file that needs relocation is verified and relocated in memory, and written once.
/// </summary>
internal sealed partial class StagingExtractor(string staging, IDeploySource reader, RelocationTarget target, IProgress<DeployProgress>? progress, PermissionPolicy? policy = null, int jobs = 0)
{
    // .NET gives an IOException the raw errno as its HResult; EEXIST is O_EXCL finding the path taken.
    private const int FileExistsErrno = 17;

    private readonly Manifest _manifest = reader.Manifest;
    private readonly PermissionPolicy _policy = policy ?? PermissionPolicy.Default;

    // Workers add to it as their files finish; the reader looks up hard link targets.
    private readonly FileHashDictionary _deployedHashes = new();
    private readonly StagingPaths _paths = new(staging, reader.Location);
    // Relocation's temporaries go under .envship/, where no archive member may be (ManifestValidator).
    private readonly string _temporaries = Path.Combine(staging, ".envship");
    // Files of several chunks are gathered here to be relocated in memory; a pool of its own keeps
    // only what the workers use at once, where the shared one would keep arrays of each size per core.
    private readonly Archive.Compression.BufferPool _gatheredFiles = new((int)(8L << 20), Environment.ProcessorCount);
    [ThreadStatic]
    private static ParentDirectory? t_parent;
    private int _filesRelocated;
    private int _temporaryCount;
    private long _bytesHeldInMemory;
    private ExtractionPipeline? _pipeline;

    public int FilesRelocated => Volatile.Read(ref _filesRelocated);

    /// <summary>The bytes of file data read ahead of the writers, at most.</summary>
    internal long InFlightBudget { get; init; } = ExtractionPipeline.DefaultBudget;

    /// <summary>Files needing relocation up to this size are relocated in memory before they are written, not read back.</summary>
    internal long InMemoryRelocationLimit { get; init; } = 8L << 20;

    /// <summary>The memory all workers may hold at once for relocating in memory; a file that finds none is relocated on disk.</summary>
    internal long InMemoryBudget { get; init; } = 16L << 20;

    /// <summary>Returns the SHA-256 of every regular file as it now stands in staging.</summary>
    /// <remarks>
    /// This thread reads, checks and prepares every member in archive order, and creates directories
    /// and links itself; regular files go to worker threads, which write, verify and relocate them.
    /// </remarks>
    public FileHashDictionary ExtractAll(CancellationToken cancellationToken)
    {
        var expected = _manifest.Entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
        var done = new Dictionary<string, EntryType>(_manifest.Entries.Count, StringComparer.Ordinal);

        // Parents are looked up as slices of the member's path, not as a new string per level.
        var doneByParent = done.GetAlternateLookup<ReadOnlySpan<char>>();
        var bytesTotal = _manifest.Entries.Sum(e => e.Type == EntryType.File ? e.Size : 0);
        var filesTotal = _manifest.Entries.Count(e => e.Type == EntryType.File);
        var filesDone = 0;
        long bytesDone = 0;
        long sequence = 0;
        using var pipeline = new ExtractionPipeline(jobs > 0 ? jobs : Environment.ProcessorCount, WriteFile, cancellationToken, InFlightBudget, CloseParentDirectory);
        _pipeline = pipeline;
        try
        {
            foreach (var member in reader.ReadMembers())
            {
                cancellationToken.ThrowIfCancellationRequested();
                sequence++;
                ReadOnlySpan<char> memberPath = member.Path;
                for (var slash = memberPath.LastIndexOf('/'); slash > 0; slash = memberPath[..slash].LastIndexOf('/'))
                {
                    if (doneByParent.TryGetValue(memberPath[..slash], out var parentType) && parentType != EntryType.Directory)
                    {
                        throw Damaged($"member '{member.Path}' would be written through '{memberPath[..slash]}', a {parentType.ToString().ToLowerInvariant()} extracted before it; envship never writes through links, so nothing was written");
                    }
                }

                if (!expected.TryGetValue(member.Path, out var entry))
                {
                    throw Damaged($"member '{member.Path}' is not in the manifest");
                }

                // Keyed by the manifest's own string: the tar reader's copy of each name would otherwise live on.
                if (!done.TryAdd(entry.Path, member.Type))
                {
                    throw Damaged($"member '{member.Path}' appears twice (a duplicate entry could overwrite a verified file)");
                }

                if (member.Type != entry.Type)
                {
                    throw Damaged($"member '{member.Path}' is a {member.Type} but the manifest says {entry.Type}");
                }

                if (entry.Type == EntryType.File && member.DeployedSha256 is null && member.Size != entry.Size)
                {
                    throw Damaged($"member '{member.Path}' holds {member.Size} bytes by its tar header but the manifest declares {entry.Size}");
                }

                Extract(member, entry, sequence, done, pipeline);
                if (entry.Type == EntryType.File)
                {
                    filesDone++;
                    bytesDone += entry.Size;
                    progress?.Report(new DeployProgress(filesDone, filesTotal, bytesDone, bytesTotal));
                }
            }

            sequence = long.MaxValue;
            pipeline.Complete();
        }
        catch (Exception ex)
        {
            pipeline.Stop(sequence, ex).Throw();
            throw;
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

    private void Extract(ArchiveMember member, ManifestEntry entry, long sequence, Dictionary<string, EntryType> done, ExtractionPipeline pipeline)
    {
        if (entry.Type == EntryType.Directory)
        {
            _paths.EnsureDirectory(entry.Path);
            SharedInstall.SetGroup(Path.Combine(staging, entry.Path), _policy);
            return;
        }

        var path = entry.Type == EntryType.File ? _paths.PrepareNewFile(entry.Path) : _paths.PrepareEntry(entry.Path);
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

                if (entry.Target == entry.Path || !done.TryGetValue(entry.Target!, out var targetType) || targetType is not (EntryType.File or EntryType.Hardlink))
                {
                    throw Damaged($"hard link '{entry.Path}' points to '{entry.Target}', which has not been extracted before it: a hard link may only share data with an earlier regular file of the archive");
                }

                // The target's bytes must be final (verified and relocated) before they gain a second name.
                var targetHash = HashOf(entry.Target!);
                if (targetHash is null)
                {
                    pipeline.Drain();
                    targetHash = HashOf(entry.Target!)!;
                }

                UnixFileSystem.HardLink(Path.Combine(staging, entry.Target!), path);
                Record(entry.Path, targetHash.Value);

                return;
            default:
                Deliver(member.Data, new FileWriteJob(sequence, entry, path) { DeployedSha256 = member.DeployedSha256, DataSize = member.DeployedSha256 is null ? entry.Size : member.Size }, pipeline);
                return;
        }
    }

    private Sha256Digest? HashOf(string path)
    {
        lock (_deployedHashes)
        {
            return _deployedHashes.TryGetDigest(path, out var digest) ? digest : null;
        }
    }

    /// <summary>Reads the member's data into chunks for a worker; the worker checks its size and hash.</summary>
    private void Deliver(Stream? data, FileWriteJob job, ExtractionPipeline pipeline)
    {
        var entry = job.Entry;
        var size = job.DataSize;
        if (data is null || size == 0)
        {
            RefuseExtraData(data, entry, size);
            pipeline.Deliver(job, null, last: true);
            return;
        }

        long delivered = 0;
        while (true)
        {
            var length = (int)Math.Min(size - delivered, ExtractionPipeline.ChunkSize);
            var buffer = pipeline.Rent(length);
            var filled = ReadFully(data, buffer, length, entry);
            delivered += filled;
            var last = filled < length || delivered == size;
            if (last)
            {
                RefuseExtraData(data, entry, size);
            }

            pipeline.Deliver(job, new FileChunk(buffer, filled), last);
            if (last)
            {
                return;
            }
        }
    }

    private void RefuseExtraData(Stream? data, ManifestEntry entry, long size)
    {
        Span<byte> probe = stackalloc byte[1];
        if (data is not null && ReadData(data, probe, entry) > 0)
        {
            throw Damaged($"'{entry.Path}' holds more than the {size} bytes {(size == entry.Size ? "the manifest declares" : "it had when it was deployed")}");
        }
    }

    private int ReadFully(Stream data, byte[] buffer, int length, ManifestEntry entry)
    {
        var filled = 0;
        while (filled < length)
        {
            var read = ReadData(data, buffer.AsSpan(filled, length - filled), entry);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }

    private void Record(string path, string sha256)
    {
        lock (_deployedHashes)
        {
            _deployedHashes.Set(path, sha256);
        }
    }

    private void Record(string path, Sha256Digest sha256)
    {
        lock (_deployedHashes)
        {
            _deployedHashes.Set(path, sha256);
        }
    }

    private static void CloseParentDirectory()
    {
        t_parent?.Dispose();
        t_parent = null;
    }

    private int ReadData(Stream data, Span<byte> buffer, ManifestEntry entry)
    {
        try
        {
            return data.Read(buffer);
        }
        catch (Exception ex) when (ArchiveReader.IsDamage(ex))
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{reader.Location}: the archive is damaged inside '{entry.Path}' ({ex.Message}). Copy the archive again and check its sha256.", ex);
        }
    }

    private EnvshipException Damaged(string what) =>
        new(ExitCode.DamagedArchive, $"{reader.Location}: {what}. The archive is damaged or was tampered with; copy it again and check its sha256.");
}
