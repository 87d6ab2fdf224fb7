using System.IO.Compression;
using Envship.Core.Archive.Compression;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Scanning;

namespace Envship.Core.Tests.Archive;

public sealed class CompressionTests
{
    private static readonly byte[] Data = MakeData();

    [Fact]
    public void The_system_libzstd_is_used_on_this_machine()
    {
        Assert.True(LibZstd.IsAvailable, "libzstd.so.1 did not load; packs would fall back to the slower ZstdSharp");
        Assert.StartsWith("libzstd 1.", ZstdStreams.Implementation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Parallel_gzip_gives_the_same_bytes_for_any_worker_count_and_gzip_reads_them(int workers)
    {
        var one = Gzip(Data, 1);
        var many = Gzip(Data, workers);

        Assert.Equal(one, many);
        using var reader = new GZipStream(new MemoryStream(many), CompressionMode.Decompress);
        Assert.Equal(Data, ReadAll(reader));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void A_file_that_changed_size_since_the_walk_fails_the_pack(int change)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, new byte[1000]);
            using var scanner = new FileAnalyzer("/p").Begin();
            using var stream = new ScanningReadStream(File.OpenRead(path), path, 1000 - change, scanner);

            var error = Assert.Throws<EnvshipException>(() =>
            {
                stream.CopyTo(Stream.Null);
                stream.EnsureComplete();
            });

            Assert.Equal(ExitCode.IoFailure, error.Code);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Contains("changed while it was being packed", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] Gzip(byte[] data, int workers) => BlockStreams.WriteInPieces(data, output => new ParallelGzipStream(output, 6, workers));

    private static byte[] ReadAll(Stream stream) => BlockStreams.ReadAll(stream);

    private static byte[] MakeData() => BlockStreams.TextLike((ParallelGzipStream.BlockSize * 3) + 12345);
}
