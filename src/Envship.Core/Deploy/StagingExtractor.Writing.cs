using System.Buffers;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;
using Microsoft.Win32.SafeHandles;
using Envship.Core.Hashing;

namespace Envship.Core.Deploy;

/// <summary>The worker side: writing, verifying and relocating one regular file.</summary>
internal sealed partial class StagingExtractor
{
    /// <summary>Runs on a worker: writes the file's chunks while hashing them, verifies, relocates, then sets group, mode and mtime.</summary>
    private void WriteFile(FileWriteJob job)
    {
        var entry = job.Entry;
        var modeBits = _policy.Decide(entry).Mode;
        var mode = (UnixFileMode)modeBits;
        if (job.DeployedSha256 is { } deployed)
        {
            WriteDeployed(job, deployed, modeBits);
            return;
        }

        var rewrites = FileRelocationApplier.Rewrites(entry, target);
        var inMemory = rewrites && TryHoldInMemory(entry);
        try
        {
            using (var output = CreateNew(job.Path, entry, modeBits))
            {
                Sha256Digest sha256;
                if (inMemory)
                {
                    sha256 = WriteRelocated(output, job);
                    Interlocked.Increment(ref _filesRelocated);
                }
                else
                {
                    WriteVerified(output, job);
                    sha256 = entry.Digest!.Value;
                }

                if (inMemory || !rewrites)
                {
                    // Finishing through the open handle saves two path lookups per file; a mode the
                    // file was created with needs no chmod at all.
                    SharedInstall.SetGroup(job.Path, _policy);
                    if (!UnixFileWriter.CreatesExactly(modeBits))
                    {
                        File.SetUnixFileMode(output, mode);
                    }

                    UnixFileSystem.SetModifiedTime(output, entry.MtimeNs);
                    Record(entry.Path, sha256);
                    return;
                }
            }
        }
        finally
        {
            if (inMemory)
            {
                Interlocked.Add(ref _bytesHeldInMemory, -InMemoryCost(entry));
            }
        }

        // Too big to hold: the file is relocated on disk, through a temporary no archive member can name.
        Directory.CreateDirectory(_temporaries);
        var temporary = Path.Combine(_temporaries, $"rewrite-{Interlocked.Increment(ref _temporaryCount)}");
        var relocated = FileRelocationApplier.Apply(job.Path, entry, target, temporary);
        if (relocated is not null)
        {
            Interlocked.Increment(ref _filesRelocated);
        }

        Record(entry.Path, relocated ?? entry.Sha256!);
        SharedInstall.SetGroup(job.Path, _policy);
        File.SetUnixFileMode(job.Path, mode);
        UnixFileSystem.SetModifiedTime(job.Path, entry.MtimeNs);
    }

    /// <summary>
    /// Whether the file can be relocated in memory; the memory it takes outside the in-flight budget
    /// (a contiguous copy, and rewritten text) is bounded by its own budget, shared by the workers.
    /// </summary>
    private bool TryHoldInMemory(ManifestEntry entry)
    {
        if (entry.Size > InMemoryRelocationLimit)
        {
            return false;
        }

        var cost = InMemoryCost(entry);
        if (Interlocked.Add(ref _bytesHeldInMemory, cost) <= InMemoryBudget)
        {
            return true;
        }

        Interlocked.Add(ref _bytesHeldInMemory, -cost);
        return false;
    }

    private static long InMemoryCost(ManifestEntry entry) =>
        entry.Relocation!.Kind == RelocationKind.Binary ? entry.Size : 2 * entry.Size;

    /// <summary>Collects the file, checks the archived bytes against the manifest, then relocates and writes them; returns the written bytes' SHA-256.</summary>
    private Sha256Digest WriteRelocated(SafeFileHandle output, FileWriteJob job)
    {
        var entry = job.Entry;
        var pipeline = _pipeline!;
        FileChunk? held = null;
        byte[]? gathered = null;
        byte[]? rewritten = null;
        try
        {
            Memory<byte> data;
            if (entry.Size <= ExtractionPipeline.ChunkSize)
            {
                // A file of one chunk is delivered whole, so its chunk can be kept without a copy (and stays in the budget).
                held = pipeline.TryNextChunk(job, out var only) ? only : null;
                data = held is { } chunk ? chunk.Buffer.AsMemory(0, chunk.Length) : Memory<byte>.Empty;
            }
            else
            {
                // Chunks are released as they are copied: holding them could exhaust the in-flight budget while the reader still has to fill it.
                gathered = _gatheredFiles.Rent((int)entry.Size);
                var filled = 0;
                while (pipeline.TryNextChunk(job, out var chunk))
                {
                    try
                    {
                        chunk.Buffer.AsSpan(0, chunk.Length).CopyTo(gathered.AsSpan(filled));
                        filled += chunk.Length;
                    }
                    finally
                    {
                        pipeline.Release(chunk);
                    }
                }

                data = gathered.AsMemory(0, filled);
            }

            CheckArchived(entry, data.Length, Sha256.HashData(data.Span));
            var relocated = FileRelocationApplier.Relocate(data, entry, target, out rewritten);
            UnixFileWriter.WriteAt(output, relocated.Span, 0, job.Path);
            Span<byte> written = stackalloc byte[Sha256.HashSizeInBytes];
            Sha256.HashData(relocated.Span, written);
            return Sha256Digest.FromBytes(written);
        }
        finally
        {
            if (held is { } chunk)
            {
                pipeline.Release(chunk);
            }

            if (gathered is not null)
            {
                _gatheredFiles.Return(gathered);
            }

            if (rewritten is not null)
            {
                ArrayPool<byte>.Shared.Return(rewritten);
            }
        }
    }

    private void WriteVerified(SafeFileHandle output, FileWriteJob job)
    {
        var (written, sha256) = WriteChunks(output, job);
        CheckArchived(job.Entry, written, sha256);
    }

    /// <summary>Writes the job's chunks as they arrive, hashing them on the way; returns the length and SHA-256 written.</summary>
    private (long Written, byte[] Sha256) WriteChunks(SafeFileHandle output, FileWriteJob job)
    {
        var pipeline = _pipeline!;
        using var hash = Sha256.CreateHasher();
        long written = 0;
        while (pipeline.TryNextChunk(job, out var chunk))
        {
            try
            {
                var bytes = chunk.Buffer.AsSpan(0, chunk.Length);
                hash.AppendData(bytes);
                UnixFileWriter.WriteAt(output, bytes, written, job.Path);
                written += bytes.Length;
            }
            finally
            {
                pipeline.Release(chunk);
            }
        }

        return (written, hash.GetHashAndReset());
    }

    /// <summary>Bytes reused from DEST are final: written as they are and checked against the hash DEST's receipt recorded.</summary>
    private void WriteDeployed(FileWriteJob job, string deployed, int modeBits)
    {
        using var output = CreateNew(job.Path, job.Entry, modeBits);
        var (written, sha256) = WriteChunks(output, job);
        var actual = Convert.ToHexStringLower(sha256);
        if (written != job.DataSize || actual != deployed)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{reader.Location}: '{job.Entry.Path}', reused from the current deployment, changed while it was copied (sha256 {actual}, its receipt says {deployed}); nothing was written. Deploy again: a changed file is fetched instead of reused.");
        }

        SharedInstall.SetGroup(job.Path, _policy);
        if (!UnixFileWriter.CreatesExactly(modeBits))
        {
            File.SetUnixFileMode(output, (UnixFileMode)modeBits);
        }

        UnixFileSystem.SetModifiedTime(output, job.Entry.MtimeNs);
        Record(job.Entry.Path, actual);
    }

    private void CheckArchived(ManifestEntry entry, long length, byte[] sha256)
    {
        if (length != entry.Size || entry.Digest != Sha256Digest.FromBytes(sha256))
        {
            throw Damaged($"'{entry.Path}' does not match the manifest (expected {entry.Size} bytes with sha256 {entry.Sha256}, found {length} bytes with sha256 {Convert.ToHexStringLower(sha256)})");
        }
    }

    // No space is reserved up front: on ext4 and XFS delayed allocation already lays a file out in
    // one piece, and on tmpfs reserving means zeroing every page before it is written (measured: 3%
    // of a 1 GB deploy's CPU). A full disk still fails the write, with the same message.
    private SafeFileHandle CreateNew(string path, ManifestEntry entry, int mode)
    {
        try
        {
            var slash = path.LastIndexOf('/');
            var parent = t_parent ??= new ParentDirectory();
            return UnixFileWriter.CreateNewAt(parent.Open(path.AsSpan(0, slash)), path[(slash + 1)..], mode, path);
        }
        catch (IOException ex) when (ex.HResult == FileExistsErrno)
        {
            throw _paths.AlreadyExists(entry.Path);
        }
    }

    /// <summary>
    /// The directory the worker's last file went into, kept open: files come in path order, so most
    /// are created next to the one before, and openat in an open directory resolves one name instead
    /// of the whole path. Every parent was checked to be a real directory before its files arrive.
    /// </summary>
    private sealed class ParentDirectory : IDisposable
    {
        private string? _path;
        private SafeFileHandle? _handle;

        public SafeFileHandle Open(ReadOnlySpan<char> path)
        {
            if (_handle is null || !path.SequenceEqual(_path))
            {
                _handle?.Dispose();
                _path = path.ToString();
                _handle = UnixFileSystem.OpenDirectory(_path);
            }

            return _handle;
        }

        public void Dispose() => _handle?.Dispose();
    }
}
