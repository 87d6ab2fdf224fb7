namespace Envship.Core.Registry.Transport;

/// <summary>A response body whose read failures (a connection dropped mid-transfer) become <see cref="ExitCode.RemoteUnavailable"/> errors naming the source and the offset.</summary>
internal sealed class GuardedRemoteStream(Stream inner, Uri source, TimeSpan stallTimeout, IDisposable? owner = null) : Stream
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
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var n = ReadAsync(rented.AsMemory(0, buffer.Length), CancellationToken.None).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // A peer that vanishes without a FIN (a pulled cable, a NAT that forgot us) would block a read forever.
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(stallTimeout);
        try
        {
            var n = await inner.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
            _read += n;
            return n;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EnvshipException(ExitCode.RemoteUnavailable,
                $"the transfer from {source.GetLeftPart(UriPartial.Authority)} stalled: no data for {stallTimeout.TotalSeconds:0.#} s after {_read} bytes of {source.AbsolutePath}; check the network, then retry.", ex);
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
