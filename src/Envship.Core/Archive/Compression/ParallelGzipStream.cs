using System.IO.Compression;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive.Compression;

/// <summary>
/// gzip output on every core: each block becomes a complete gzip member of its own (as
/// <c>pigz --independent</c> does). Concatenated members are one valid gzip stream for
/// <c>gzip -d</c> and <c>tar -xzf</c>.
/// </summary>
internal sealed class ParallelGzipStream(Stream output, int level, int workers) : ParallelBlockStream(output, BlockSize, workers)
{
    /// <summary>Large enough that restarting deflate's 32 KiB history costs well under 1% of size.</summary>
    internal const int BlockSize = 4 << 20;

    protected override (byte[] Buffer, int Length) CompressBlock(ReadOnlySpan<byte> block)
    {
        // More than deflate's worst case (stored blocks) plus the gzip header and trailer.
        var buffer = Outputs.Rent(block.Length + (block.Length >> 10) + 1024);
        using var memory = new MemoryStream(buffer, 0, buffer.Length, writable: true);
        using (var gzip = new GZipStream(memory, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true))
        {
            gzip.Write(block);
        }

        return (buffer, (int)memory.Position);
    }
}
