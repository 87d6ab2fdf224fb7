using Envship.Core.Archive.Compression;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Testing;
using ZstdSharp;

namespace Envship.Core.Tests.Archive;

/// <summary>
/// Packs write independent zstd frames so deploy can decompress them on every core. The frames
/// must not depend on the thread count, must read back with plain zstd and ZstdSharp, and the
/// reader must still take any other zstd stream: one huge frame, frames without a content size,
/// skippable frames in between. Damage must read as damage.
/// </summary>
public sealed class ZstdFramesTests
{
    private static readonly byte[] Data = MakeData((ParallelZstdStream.FrameSize * 3) + 54_321);

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Frames_are_the_same_bytes_for_any_number_of_workers(int workers)
    {
        Assert.Equal(Compress(Data, 1), Compress(Data, workers));
    }

    [Fact]
    public void Each_frame_holds_at_most_one_frame_size_and_plain_zstd_reads_them_as_one_stream()
    {
        var compressed = Compress(Data, 2);
        using var work = new TempDirectory();
        var path = Path.Combine(work.Path, "frames.zst");
        File.WriteAllBytes(path, compressed);

        var listing = ProcessRunner.RunChecked("zstd", ["-lv", path]).StdOut;
        Assert.Contains("# Zstandard Frames: 4", listing, StringComparison.Ordinal);
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Data));
        Assert.Equal(expected, ProcessRunner.RunChecked("sh", ["-c", $"zstd -dc '{path}' | sha256sum"]).StdOut.Split(' ')[0]);

        using var managed = new DecompressionStream(new MemoryStream(compressed));
        Assert.Equal(Data, ReadAll(managed));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1 << 16)]
    public void The_parallel_reader_returns_every_byte_in_order_whatever_the_read_size(int readSize)
    {
        using var reader = new ParallelZstdDecompressionStream(new MemoryStream(Compress(Data, 2)), workers: 2);
        using var output = new MemoryStream();
        var buffer = new byte[readSize];
        int read;
        while ((read = reader.Read(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        Assert.Equal(Data, output.ToArray());
    }

    [Fact]
    public void One_large_frame_without_a_content_size_and_skippable_frames_between_are_read_too()
    {
        // A streaming compressor writes no content size: the reader must stream that frame, then go on.
        var streamed = new MemoryStream();
        using (var compressor = new CompressionStream(streamed, 3, leaveOpen: true))
        {
            compressor.Write(Data);
        }

        byte[] skippable = [0x50, 0x2A, 0x4D, 0x18, 5, 0, 0, 0, 1, 2, 3, 4, 5];
        var tail = MakeData(100_000);
        byte[] stream = [.. skippable, .. Compress(Data[..1000], 2), .. streamed.ToArray(), .. skippable, .. Compress(tail, 2)];

        using var reader = new ParallelZstdDecompressionStream(new MemoryStream(stream), workers: 2);
        Assert.Equal([.. Data[..1000], .. Data, .. tail], ReadAll(reader));
    }

    [Fact]
    public void A_frame_declaring_more_than_the_parallel_limit_streams_instead_of_being_allocated()
    {
        var big = new byte[ParallelZstdDecompressionStream.MaxParallelFrame + 4096];
        big[^1] = 7;
        var compressed = new MemoryStream();
        using (var compressor = new CompressionStream(compressed, 1, leaveOpen: true))
        {
            compressor.SetPledgedSrcSize((ulong)big.Length);
            compressor.Write(big);
        }

        // The frame descriptor's top bits: a 4- or 8-byte content size field is present.
        Assert.True(compressed.GetBuffer()[4] >> 6 >= 2, "the frame declares no content size");
        using var reader = new ParallelZstdDecompressionStream(new MemoryStream(compressed.ToArray()), workers: 2);
        Assert.Equal(big, ReadAll(reader));
    }

    [Fact]
    public void A_truncated_stream_ends_in_an_error_not_a_short_read()
    {
        var compressed = Compress(Data, 2);
        foreach (var cut in new[] { compressed.Length / 2, compressed.Length - 1, 6 })
        {
            using var reader = new ParallelZstdDecompressionStream(new MemoryStream(compressed[..cut]), workers: 2);
            Assert.Throws<EndOfStreamException>(() => ReadAll(reader));
        }
    }

    [Fact]
    public void Frames_before_a_truncation_still_read_in_full_before_the_error()
    {
        var compressed = Compress(Data, 2);
        using var reader = new ParallelZstdDecompressionStream(new MemoryStream(compressed[..^10]), workers: 2);
        var buffer = new byte[Data.Length];
        var read = 0;
        var error = Record.Exception(() =>
        {
            int n;
            while ((n = reader.Read(buffer.AsSpan(read))) > 0)
            {
                read += n;
            }
        });

        Assert.IsType<EndOfStreamException>(error);
        Assert.Equal(ParallelZstdStream.FrameSize * 3, read);
        Assert.Equal(Data[..read], buffer[..read]);
    }

    [Fact]
    public void A_flipped_byte_is_damage()
    {
        var compressed = Compress(Data, 2);
        compressed[compressed.Length / 2] ^= 0x40;
        using var reader = new ParallelZstdDecompressionStream(new MemoryStream(compressed), workers: 2);
        Assert.Throws<InvalidDataException>(() => ReadAll(reader));
    }

    [Fact]
    public void Bytes_that_are_not_zstd_are_refused()
    {
        using var reader = new ParallelZstdDecompressionStream(new MemoryStream("not a zstd stream at all"u8.ToArray()), workers: 2);
        Assert.Throws<InvalidDataException>(() => ReadAll(reader));
    }

    private static byte[] Compress(byte[] data, int workers) => BlockStreams.WriteInPieces(data, output => new ParallelZstdStream(output, 3, workers));

    private static byte[] ReadAll(Stream stream) => BlockStreams.ReadAll(stream);

    private static byte[] MakeData(int length) => BlockStreams.TextLike(length);
}
