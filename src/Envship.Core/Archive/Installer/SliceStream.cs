using Envship.Core.Hashing;

namespace Envship.Core.Archive.Installer;

/// <summary>A read-only window of <paramref name="length"/> bytes at <paramref name="offset"/> of a seekable stream, which it owns.</summary>
internal sealed class SliceStream(Stream inner, long offset, long length) : Stream
{
    private long _position;
    private Sha256Hasher? _sha256;
    private readonly string? _expectedSha256;
    private readonly string _label = "";
    private long _hashed;

    /// <summary>
    /// Also checks the window's bytes against <paramref name="sha256"/> as they are read front to back, and
    /// fails the read that reaches the end if they differ. An archive's skippable frames and padding are
    /// read by no member check, so this is what catches a changed byte there.
    /// </summary>
    public SliceStream(Stream inner, long offset, long length, string sha256, string label)
        : this(inner, offset, length)
    {
        _sha256 = Sha256.CreateHasher();
        _expectedSha256 = sha256;
        _label = label;
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var take = (int)Math.Min(buffer.Length, length - _position);
        if (take <= 0)
        {
            return 0;
        }

        inner.Position = offset + _position;
        var read = inner.Read(buffer[..take]);
        Hash(buffer[..read]);
        _position += read;
        return read;
    }

    private void Hash(ReadOnlySpan<byte> bytes)
    {
        if (_sha256 is null)
        {
            return;
        }

        if (_position == 0 && _hashed > 0)
        {
            // Read again from the start (the format is told from the first bytes, then the reader rewinds).
            _ = _sha256.GetHashAndReset();
            _hashed = 0;
        }

        if (_position != _hashed)
        {
            return;
        }

        _sha256.AppendData(bytes);
        _hashed += bytes.Length;
        if (_hashed == length)
        {
            var actual = Convert.ToHexStringLower(_sha256.GetHashAndReset());
            _sha256.Dispose();
            _sha256 = null;
            if (actual != _expectedSha256)
            {
                throw new EnvshipException(
                    ExitCode.DamagedArchive,
                    $"{_label}: the archive inside this installer does not match the SHA-256 in its header (sha256 {actual}, expected {_expectedSha256}): the file was changed after it was made. Nothing was deployed. Copy the installer again from its source.");
            }
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha256?.Dispose();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
