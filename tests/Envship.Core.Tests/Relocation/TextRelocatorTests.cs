using System.Text;
using Envship.Core.Relocation;

namespace Envship.Core.Tests.Relocation;

public sealed class TextRelocatorTests
{
    private static readonly int[] _bufferSizes = [1, 2, 3, 7, 8, 64, 1 << 16];

    public static TheoryData<string, string, string, string, int> Cases => new()
    {
        { "", "/opt/env", "/srv/app", "", 0 },
        { "no prefix here", "/opt/env", "/srv/app", "no prefix here", 0 },
        { "/opt/env", "/opt/env", "/srv/app", "/srv/app", 1 },
        { "/opt/env/bin/python", "/opt/env", "/x", "/x/bin/python", 1 },
        { "PATH=/opt/env/bin:/opt/env/sbin\n", "/opt/env", "/a/much/longer/prefix", "PATH=/a/much/longer/prefix/bin:/a/much/longer/prefix/sbin\n", 2 },
        { "/opt/env2 is a sibling", "/opt/env", "/new", "/new2 is a sibling", 1 },
        { "aaaa", "aa", "b", "bb", 2 },
        { "aaa", "aa", "b", "ba", 1 },
        { "abababab", "aba", "X", "XbXb", 2 },
        { "xx/opt/envxx/opt/env", "/opt/env", "", "xxxx", 2 },
        { "/opt/en", "/opt/env", "/srv/app", "/opt/en", 0 },
        { "prefix at the end /opt/env", "/opt/env", "/é/app", "prefix at the end /é/app", 1 },
    };

    public static TheoryData<string, string, string, string, int, int> CasesWithBufferSizes()
    {
        var data = new TheoryData<string, string, string, string, int, int>();
        foreach (var row in Cases)
        {
            foreach (var size in _bufferSizes)
            {
                data.Add((string)row[0], (string)row[1], (string)row[2], (string)row[3], (int)row[4], size);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Replace_replaces_every_occurrence(string input, string from, string to, string expected, int count)
    {
        var result = TextRelocator.Replace(Bytes(input), Bytes(from), Bytes(to));

        Assert.Equal(expected, Encoding.UTF8.GetString(result));
        Assert.Equal(Bytes(input).Length + (count * (Bytes(to).Length - Bytes(from).Length)), result.Length);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Replace_into_a_span_writes_exactly_the_announced_length(string input, string from, string to, string expected, int count)
    {
        var length = TextRelocator.ReplacedLength(Bytes(input), Bytes(from), Bytes(to));
        var destination = new byte[length + 3];
        destination.AsSpan().Fill(0xEE);

        var written = TextRelocator.Replace(Bytes(input), Bytes(from), Bytes(to), destination);

        Assert.Equal(length, written);
        Assert.Equal(expected, Encoding.UTF8.GetString(destination, 0, written));
        Assert.Equal([0xEE, 0xEE, 0xEE], destination[written..]);
        Assert.Equal(Bytes(expected).Length, Bytes(input).Length + (count * (Bytes(to).Length - Bytes(from).Length)));
    }

    [Theory]
    [MemberData(nameof(CasesWithBufferSizes))]
    public void Copy_matches_replace_for_any_buffer_size(string input, string from, string to, string expected, int count, int bufferSize)
    {
        using var source = new MemoryStream(Bytes(input));
        using var output = new MemoryStream();

        var replaced = TextRelocator.Copy(source, output, Bytes(from), Bytes(to), bufferSize);

        Assert.Equal(expected, Encoding.UTF8.GetString(output.ToArray()));
        Assert.Equal(count, replaced);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(7, 3)]
    [InlineData(64, 5)]
    public void Copy_handles_short_reads_and_random_content(int bufferSize, int maxChunk)
    {
        var random = new Random(1234 + bufferSize);
        for (var iteration = 0; iteration < 200; iteration++)
        {
            var input = RandomBytes(random, random.Next(0, 300), "ab/");
            var from = RandomBytes(random, random.Next(1, 6), "ab/");
            var to = RandomBytes(random, random.Next(0, 9), "xyz");
            using var source = new TricklingStream(input, maxChunk);
            using var output = new MemoryStream();

            var replaced = TextRelocator.Copy(source, output, from, to, bufferSize);

            Assert.Equal(TextRelocator.Replace(input, from, to), output.ToArray());
            Assert.Equal(TextRelocator.Count(input, from), replaced);
        }
    }

    [Fact]
    public void Empty_pattern_is_rejected()
    {
        using var source = new MemoryStream([1, 2, 3]);
        using var output = new MemoryStream();

        Assert.Throws<ArgumentException>(() => TextRelocator.Replace([1, 2, 3], [], [4]));
        Assert.Throws<ArgumentException>(() => TextRelocator.Copy(source, output, [], [4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => TextRelocator.Copy(source, output, [1], [4], 0));
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] RandomBytes(Random random, int length, string alphabet)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)alphabet[random.Next(alphabet.Length)];
        }

        return bytes;
    }

    /// <summary>Returns at most a few bytes per Read, as pipes and network streams may.</summary>
    private sealed class TricklingStream(byte[] data, int maxChunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) =>
            base.Read(buffer, offset, Math.Min(count, maxChunk));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, maxChunk)]);
    }
}
