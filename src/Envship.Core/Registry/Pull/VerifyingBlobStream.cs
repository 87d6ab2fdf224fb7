using Envship.Core.Hashing;

namespace Envship.Core.Registry.Pull;

/// <summary>
/// A blob's bytes as they stream from a store, hashed on the way: more bytes than its descriptor
/// declares fail at once, and <see cref="Verify"/> (after the last byte) checks size and digest.
/// </summary>
public sealed class VerifyingBlobStream(Stream inner, OciDescriptor blob, string what) : Stream
{
    private readonly Sha256Hasher _hash = Sha256.CreateHasher();

    public long BytesRead { get; private set; }
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => blob.Size;
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        _hash.AppendData(buffer[..read]);
        BytesRead += read;
        if (BytesRead > blob.Size)
        {
            throw Mismatch($"it holds more than the {blob.Size} bytes its descriptor declares");
        }

        return read;
    }

    /// <summary>Reads what is left and checks the whole blob against its descriptor.</summary>
    public void Verify()
    {
        CopyTo(Null);
        if (BytesRead != blob.Size)
        {
            throw Mismatch($"it ends after {BytesRead} of {blob.Size} bytes");
        }

        var digest = "sha256:" + Convert.ToHexStringLower(_hash.GetHashAndReset());
        if (digest != blob.Digest)
        {
            throw Mismatch($"its bytes hash to {digest}");
        }
    }

    public EnvshipException Mismatch(string cause) => new(
        ExitCode.DamagedArchive,
        $"{what} ({blob.Digest}) does not match its digest: {cause}. The copy in the registry or layout is damaged or was tampered with; nothing was written. Push the environment again.");

    /// <summary>A blob that cannot be decompressed or parsed: damaged in the store, or not what envship pushed.</summary>
    public EnvshipException Damaged(string cause) => new(
        ExitCode.DamagedArchive,
        $"{what} ({blob.Digest}) is damaged: {cause}. The copy in the registry or layout is damaged or was tampered with; nothing was written. Push the environment again.");

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
            _hash.Dispose();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
