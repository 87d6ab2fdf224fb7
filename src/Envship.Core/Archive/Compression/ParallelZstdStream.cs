using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive.Compression;

/// <summary>
/// zstd output on every core as independent frames, one per <see cref="FrameSize"/> of input, each
/// with its content size and checksum. A reader can then decompress the frames on several cores too
/// (<see cref="ParallelZstdDecompressionStream"/>), and any zstd reader sees one stream.
/// </summary>
internal sealed class ParallelZstdStream(Stream output, int level, int workers) : ParallelBlockStream(output, FrameSize, workers)
{
    /// <summary>
    /// Measured on the 1 GB benchmark tree: independent frames of 2, 4 and 8 MiB made the archive
    /// 0.49%, 0.20% and 0.05% larger than one zstd stream; 4 MiB keeps the frames in flight small.
    /// </summary>
    internal const int FrameSize = 4 << 20;

    // Contexts are reused across frames (allocating one costs more than a small frame) and freed with the stream.
    private readonly System.Collections.Concurrent.ConcurrentBag<nint> _contexts = [];

    protected override unsafe (byte[] Buffer, int Length) CompressBlock(ReadOnlySpan<byte> block)
    {
        var context = _contexts.TryTake(out var free) ? free : NewContext(level);
        try
        {
            var buffer = Outputs.Rent((int)LibZstd.CompressBound((nuint)block.Length));
            fixed (byte* source = block)
            fixed (byte* target = buffer)
            {
                var written = LibZstd.Check(LibZstd.Compress2(context, (nint)target, (nuint)buffer.Length, (nint)source, (nuint)block.Length), "compression");
                return (buffer, (int)written);
            }
        }
        finally
        {
            _contexts.Add(context);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        while (_contexts.TryTake(out var context))
        {
            LibZstd.FreeCCtx(context);
        }
    }

    private static nint NewContext(int level)
    {
        var context = LibZstd.CreateCCtx();
        if (context == 0)
        {
            throw new InsufficientMemoryException("libzstd could not allocate a compression context.");
        }

        LibZstd.Check(LibZstd.SetParameter(context, LibZstd.CompressionParameter.CompressionLevel, level), "level");
        LibZstd.Check(LibZstd.SetParameter(context, LibZstd.CompressionParameter.ChecksumFlag, 1), "checksum");
        return context;
    }
}
