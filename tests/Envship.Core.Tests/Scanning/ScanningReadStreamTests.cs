using Envship.Core.Scanning;

namespace Envship.Core.Tests.Scanning;

public sealed class ScanningReadStreamTests
{
    [Theory]
    [InlineData(1000, 4096, 1)]
    [InlineData(4096, 4097, 1)]
    [InlineData(4096, 4096, 2)]
    [InlineData(10_000, 4096, 3)]
    public void The_end_of_a_file_is_seen_in_its_last_read_when_the_buffer_has_a_byte_to_spare(int size, int buffer, int expectedCalls)
    {
        var file = new CountingReads(new byte[size]);
        using var scanner = new FileAnalyzer("/p").Begin();
        using var stream = new ScanningReadStream(file, "/p/f", size, scanner);
        var chunk = new byte[buffer];
        long total = 0;
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            total += read;
        }

        stream.EnsureComplete();
        Assert.Equal(size, total);

        // The reads that returned data, and a one-byte probe for more only where no read came back short.
        Assert.Equal(expectedCalls, file.Calls);
    }

    [Fact]
    public void A_stop_request_ends_the_read_of_a_large_file_at_the_next_piece()
    {
        using var cancellation = new CancellationTokenSource();
        using var scanner = new FileAnalyzer("/p").Begin();
        using var stream = new ScanningReadStream(new MemoryStream(new byte[1 << 20]), "/p/big", 1 << 20, scanner, cancellation.Token);
        var chunk = new byte[4096];
        Assert.Equal(4096, stream.Read(chunk));

        cancellation.Cancel();
        Assert.Throws<OperationCanceledException>(() => stream.Read(chunk));
    }

    /// <summary>A file's bytes that counts read calls, the one a stream at its end answers with 0 included.</summary>
    private sealed class CountingReads(byte[] content) : Stream
    {
        private readonly MemoryStream _inner = new(content);

        public int Calls { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            Calls++;
            return _inner.Read(buffer);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
