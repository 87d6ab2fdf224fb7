using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using ZstdSharp.Unsafe;
using ZstdSharp;

namespace Envship.Core.Archive.Compression;

/// <summary>
/// zstd streams from libzstd where it loads, else from ZstdSharp. Both write standard frames, so
/// either reads what the other wrote; only the compressed bytes of a pack depend on which one ran.
/// </summary>
public static class ZstdStreams
{
    public static string Implementation => LibZstd.IsAvailable ? $"libzstd {LibZstd.Version}" : "ZstdSharp";

    /// <summary>
    /// A stream that compresses what is written to it and leaves <paramref name="output"/> open. With
    /// libzstd: independent frames compressed on <paramref name="workers"/> threads, the same bytes
    /// for any number of them.
    /// </summary>
    public static Stream Compressor(Stream output, int level, int workers)
    {
        if (LibZstd.IsAvailable)
        {
            return new ParallelZstdStream(output, level, workers);
        }

        var stream = new CompressionStream(output, level, 1 << 20, leaveOpen: true);
        stream.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
        stream.SetParameter(ZSTD_cParameter.ZSTD_c_nbWorkers, Math.Max(1, workers));
        return stream;
    }

    /// <summary>With libzstd, frames of known size are decompressed on every core, in order.</summary>
    public static Stream Decompressor(Stream input, bool leaveOpen = true) =>
        LibZstd.IsAvailable
            ? new ParallelZstdDecompressionStream(input, Environment.ProcessorCount, leaveOpen)
            : new DecompressionStream(input, 1 << 20, checkEndOfStream: true, leaveOpen: leaveOpen);
}
