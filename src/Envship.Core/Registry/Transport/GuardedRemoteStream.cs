namespace Envship.Core.Registry.Transport;

/// <summary>A response body whose read failures (a connection dropped mid-transfer) become <see cref="ExitCode.RemoteUnavailable"/> errors naming the source and the offset.</summary>
internal sealed class GuardedRemoteStream(Stream inner, Uri source, IDisposable? owner = null) : Stream
{
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            var n = inner.Read(buffer);
            _read += n;
            return n;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            throw Dropped(ex);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            _read += n;
            return n;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            throw Dropped(ex);
        }
    }

    private EnvshipException Dropped(Exception ex) => new(ExitCode.RemoteUnavailable,
        $"the transfer from {source.GetLeftPart(UriPartial.Authority)} dropped after {_read} bytes of {source.AbsolutePath} ({ex.Message}): retry; nothing was written to the destination.", ex);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            owner?.Dispose();
        }

        base.Dispose(disposing);
    }
}
