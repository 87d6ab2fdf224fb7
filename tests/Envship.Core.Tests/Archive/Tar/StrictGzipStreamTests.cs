using System.IO.Compression;
using Envship.Core.Archive.Compression;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Tests.Archive.Tar;

/// <summary>Issue 12, item 3: gzip is held to what zstd already was: no truncation, no trailing bytes.</summary>
public sealed class StrictGzipStreamTests
{
    private static readonly byte[] Data = BlockStreams.TextLike(300_000);
    private static readonly byte[] Member = Gzip(Data);

    [Fact]
    public void Reads_one_member_and_several_concatenated_members()
    {
        Assert.Equal(Data, Inflate(Member));
        Assert.Equal([.. Data, .. Data, .. Data], Inflate([.. Member, .. Member, .. Member]));
    }

    [Fact]
    public void Reads_what_envships_parallel_gzip_writes()
    {
        var data = BlockStreams.TextLike((9 << 20) + 123);
        var compressed = BlockStreams.WriteInPieces(data, output => new ParallelGzipStream(output, 1, 2));

        Assert.Equal(data, Inflate(compressed));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(3)]
    [InlineData(1)]
    [InlineData(1000)]
    public void A_member_cut_before_the_end_of_its_trailer_is_truncation(int cut)
    {
        var error = Assert.Throws<InvalidDataException>(() => Inflate([.. Member, .. Member[..^cut]]));

        Assert.Contains("ends inside member 2 before its 8-byte trailer", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("zeros")]
    [InlineData("one gzip magic byte")]
    public void Bytes_after_the_last_member_are_refused(string what)
    {
        byte[] tail = what switch
        {
            "garbage" => "this is not gzip"u8.ToArray(),
            "zeros" => new byte[512],
            _ => [0x1F],
        };

        var error = Assert.Throws<InvalidDataException>(() => Inflate([.. Member, .. tail]));

        Assert.Contains(what == "one gzip magic byte" ? "ends inside member 2" : "are not another gzip member", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_crc_or_size_in_the_trailer_is_refused()
    {
        var crc = Member.ToArray();
        crc[^6] ^= 0x10;
        var size = Member.ToArray();
        size[^2] ^= 0x01;

        Assert.Contains("is damaged", Assert.Throws<InvalidDataException>(() => Inflate(crc)).Message, StringComparison.Ordinal);
        Assert.Contains("is damaged", Assert.Throws<InvalidDataException>(() => Inflate(size)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GZipStream_itself_accepts_a_missing_trailer_which_is_why_envship_does_not_read_through_it()
    {
        using var lenient = new GZipStream(new MemoryStream(Member[..^8]), CompressionMode.Decompress);

        Assert.Equal(Data, BlockStreams.ReadAll(lenient));
    }

    private static byte[] Inflate(byte[] compressed)
    {
        using var stream = new StrictGzipStream(new MemoryStream(compressed));
        return BlockStreams.ReadAll(stream);
    }

    private static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
