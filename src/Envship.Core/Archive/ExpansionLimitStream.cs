using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive;

/// <summary>
/// Counts the decompressed tar bytes and refuses to hand out more than <see cref="Limit"/>, so a
/// zstd or gzip stream that expands far beyond what its manifest declares (a decompression bomb)
/// stops after a bounded amount of work and memory instead of filling the disk.
/// </summary>
internal sealed class ExpansionLimitStream(Stream inner, string archivePath) : Stream
{
    /// <summary>The manifest is parsed into memory, so its member is capped before it is read.</summary>
    public const long ManifestCap = 512L << 20;

    private const long HeaderAllowancePerEntry = 1536;
    private const long SafetyMargin = 16L << 20;

    public long Limit { get; set; } = ManifestCap + SafetyMargin;
    public long BytesRead { get; private set; }
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    /// <summary>
    /// The tar can hold the declared file bytes, each member's header, pax header and padding (1.5 KiB
    /// each, generous even for long paths), and nothing else. Half as much
    /// again plus 16 MiB is margin for hand-made archives; a bomb overshoots by orders of magnitude.
    /// </summary>
    public static long BudgetFor(Manifest manifest, long manifestMemberBytes)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        // In 128 bits, so sizes near 2^63 saturate the limit instead of overflowing it.
        Int128 fileBytes = 0;
        foreach (var entry in manifest.Entries)
        {
            fileBytes += entry.Type == EntryType.File ? Math.Max(0, entry.Size) : 0;
        }

        var entries = (Int128)manifest.Entries.Count + 1;
        var budget = manifestMemberBytes + fileBytes + (fileBytes / 2) + (entries * HeaderAllowancePerEntry) + SafetyMargin;
        return (long)Int128.Min(budget, long.MaxValue);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        BytesRead += read;
        if (BytesRead > Limit)
        {
            throw new EnvshipException(
                ExitCode.DamagedArchive,
                $"{archivePath}: the archive expands to more than {Limit} bytes, far beyond what its manifest declares (a decompression bomb, or a manifest that lies about sizes); reading stopped there. Do not deploy it; pack the environment again.");
        }

        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
