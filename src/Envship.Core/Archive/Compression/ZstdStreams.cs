using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Envship.Core.Archive.Compression;

/// <summary>
/// zstd streams from libzstd where it loads, else from ZstdSharp. Both write standard frames, so
/// either reads what the other wrote; only the compressed bytes of a pack depend on which one ran.
/// </summary>
public static class ZstdStreams
{
    public static string Implementation => LibZstd.IsAvailable ? $"libzstd {LibZstd.Version}" : "ZstdSharp";

    public static Stream Compressor(Stream output, int level, int workers, bool leaveOpen = true)
    {
        if (LibZstd.IsAvailable)
        {
            return new NativeZstdCompressionStream(output, level, workers, leaveOpen);
        }

        var stream = new CompressionStream(output, level, 1 << 20, leaveOpen);
        stream.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
        stream.SetParameter(ZSTD_cParameter.ZSTD_c_nbWorkers, Math.Max(1, workers));
        return stream;
    }

    public static Stream Decompressor(Stream input, bool leaveOpen = true) =>
        LibZstd.IsAvailable
            ? new NativeZstdDecompressionStream(input, leaveOpen)
            : new DecompressionStream(input, 1 << 20, checkEndOfStream: true, leaveOpen: leaveOpen);
}
