using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Deploy;

/// <summary>A slice of pooled memory holding the next bytes of a file, in archive order.</summary>
internal readonly record struct FileChunk(byte[] Buffer, int Length);

/// <summary>
/// One regular file on its way from the archive reader to a worker. The reader has already checked
/// the member against the manifest and prepared its path; its data arrives as chunks, in order.
/// Every field but the immutable ones is guarded by the owning <see cref="ExtractionPipeline"/>'s lock.
/// </summary>
internal sealed class FileWriteJob(long sequence, ManifestEntry entry, string path)
{
    /// <summary>The member's position in the archive: the earliest failure by this order is the one reported.</summary>
    public long Sequence { get; } = sequence;

    public ManifestEntry Entry { get; } = entry;

    /// <summary>The full staging path, whose parents the reader checked are real directories.</summary>
    public string Path { get; } = path;

    /// <summary>The SHA-256 of bytes already deployed at this destination (see <see cref="ArchiveMember.DeployedSha256"/>); null for archived bytes.</summary>
    public string? DeployedSha256 { get; init; }

    /// <summary>How many bytes of data come: the manifest's size for archived bytes, the file's own for deployed ones.</summary>
    public long DataSize { get; init; } = entry.Size;

    internal Queue<FileChunk> Chunks { get; } = new();

    /// <summary>Every chunk has been queued: no more data will come.</summary>
    internal bool Delivered { get; set; }

    /// <summary>The reader stopped partway through this file's data; the worker drops it.</summary>
    internal bool Abandoned { get; set; }
}
