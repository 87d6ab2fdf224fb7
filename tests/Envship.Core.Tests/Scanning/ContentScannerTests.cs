using System.Security.Cryptography;
using System.Text;
using Envship.Core.Scanning;

namespace Envship.Core.Tests.Scanning;

public sealed class ContentScannerTests
{
    private const string Prefix = "/opt/aaa";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(4096)]
    public void Finds_the_same_hits_whatever_the_span_sizes(int spanSize)
    {
        var data = Encoding.ASCII.GetBytes("x/opt/aaa/opt/aaa /opt/aa/opt/aaaa\0/opt/aaa" + new string('/', 9) + "/opt/aaa");

        Assert.Equal(NaiveHits(data), Scan(data, spanSize).Hits);
    }

    [Fact]
    public void Random_content_and_random_spans_agree_with_a_naive_search()
    {
        var random = new Random(5);
        for (var round = 0; round < 300; round++)
        {
            // An alphabet of the prefix's own letters makes partial and overlapping matches common.
            var data = new byte[random.Next(0, 200)];
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = "/opta"u8[random.Next(5)];
            }

            var scanner = new FileAnalyzer(Prefix).Begin();
            for (var offset = 0; offset < data.Length;)
            {
                var length = Math.Min(random.Next(1, 12), data.Length - offset);
                scanner.Append(data.AsSpan(offset, length));
                offset += length;
            }

            Assert.Equal(NaiveHits(data), scanner.Hits);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), scanner.FinishHash());
            Assert.Equal(data.Length, scanner.Size);
            Assert.Equal(data.Contains((byte)0), scanner.SawNul);
        }
    }

    [Fact]
    public void Keeps_the_first_bytes_as_the_header_even_when_they_arrive_in_pieces()
    {
        var data = new byte[ContentScanner.HeaderSize + 100];
        new Random(1).NextBytes(data);

        var scanner = Scan(data, 333);

        Assert.True(scanner.Header.SequenceEqual(data.AsSpan(0, ContentScanner.HeaderSize)));
    }

    private static ContentScanner Scan(byte[] data, int spanSize)
    {
        var scanner = new FileAnalyzer(Prefix).Begin();
        for (var offset = 0; offset < data.Length; offset += spanSize)
        {
            scanner.Append(data.AsSpan(offset, Math.Min(spanSize, data.Length - offset)));
        }

        return scanner;
    }

    private static List<long> NaiveHits(byte[] data)
    {
        var needle = Encoding.ASCII.GetBytes(Prefix);
        var hits = new List<long>();
        for (var i = 0; i + needle.Length <= data.Length;)
        {
            if (data.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                hits.Add(i);
                i += needle.Length;
            }
            else
            {
                i++;
            }
        }

        return hits;
    }
}
