using Envship.Core.Hashing;

namespace Envship.Core.Scanning;

/// <summary>
/// The streaming half of a file's analysis: fed the file's bytes in order, in spans of any size, it
/// keeps the SHA-256, the offset of every non-overlapping occurrence of the prefix (also across span
/// boundaries), whether a NUL byte was seen, and the first bytes for classification. It never holds
/// more than one span plus a prefix's length, so a pack can scan the bytes it is already archiving.
/// </summary>
public sealed class ContentScanner : IDisposable
{
    internal const int HeaderSize = 4096;

    private readonly byte[] _prefix;
    private readonly Sha256Hasher _sha = Sha256.CreateHasher();
    private readonly byte[] _header = new byte[HeaderSize];
    private readonly byte[] _tail;
    private readonly byte[] _joint;
    private readonly List<long> _hits = [];
    private int _tailLength;

    internal ContentScanner(byte[] prefix)
    {
        _prefix = prefix;
        _tail = new byte[prefix.Length];
        _joint = new byte[2 * prefix.Length];
    }

    public long Size { get; private set; }

    public bool SawNul { get; private set; }

    public IReadOnlyList<long> Hits => _hits;

    public ReadOnlySpan<byte> Header => _header.AsSpan(0, (int)Math.Min(Size, HeaderSize));

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        _sha.AppendData(data);
        SawNul = SawNul || data.Contains((byte)0);
        if (Size < HeaderSize)
        {
            var take = (int)Math.Min(HeaderSize - Size, data.Length);
            data[..take].CopyTo(_header.AsSpan((int)Size));
        }

        var start = Size;
        Size += data.Length;
        var position = MatchAcrossBoundary(data, start);
        var straddled = position > 0;
        int index;
        while ((index = data[position..].IndexOf(_prefix)) >= 0)
        {
            _hits.Add(start + position + index);
            position += index + _prefix.Length;
        }

        KeepTail(data, position, consumedAny: straddled || position > 0);
    }

    /// <summary>The file's SHA-256; also readies the scanner for the next file.</summary>
    public string FinishHash() => Convert.ToHexStringLower(_sha.GetHashAndReset());

    /// <summary>Starts over for another file, keeping the buffers and the hash context (one per file would cost an allocation each).</summary>
    public void Reset()
    {
        _sha.GetHashAndReset();
        _hits.Clear();
        _tailLength = 0;
        Size = 0;
        SawNul = false;
    }

    public void Dispose() => _sha.Dispose();

    /// <summary>
    /// A match that begins in the kept tail of earlier spans and ends in <paramref name="data"/>;
    /// returns how many bytes of <paramref name="data"/> it consumed (0 without one).
    /// </summary>
    private int MatchAcrossBoundary(ReadOnlySpan<byte> data, long dataStart)
    {
        if (_tailLength == 0)
        {
            return 0;
        }

        var tailLength = _tailLength;
        var take = Math.Min(_prefix.Length - 1, data.Length);
        _tail.AsSpan(0, tailLength).CopyTo(_joint);
        data[..take].CopyTo(_joint.AsSpan(tailLength));
        var index = _joint.AsSpan(0, tailLength + take).IndexOf(_prefix);
        if (index < 0 || index >= tailLength)
        {
            return 0;
        }

        _hits.Add(dataStart - tailLength + index);
        _tailLength = 0;
        return index + _prefix.Length - tailLength;
    }

    /// <summary>Keeps up to a prefix's length minus one of unconsumed bytes, the most a straddling match can start with.</summary>
    private void KeepTail(ReadOnlySpan<byte> data, int consumedUntil, bool consumedAny)
    {
        var keep = _prefix.Length - 1;
        if (data.Length - consumedUntil >= keep || consumedAny)
        {
            var fresh = data[consumedUntil..];
            var length = Math.Min(keep, fresh.Length);
            fresh[^length..].CopyTo(_tail);
            _tailLength = length;
            return;
        }

        // A short span with no match: what was kept before still counts, followed by all of this span.
        var total = _tailLength + data.Length;
        var drop = Math.Max(0, total - keep);
        _tail.AsSpan(drop, _tailLength - drop).CopyTo(_tail);
        data.CopyTo(_tail.AsSpan(_tailLength - drop));
        _tailLength = total - drop;
    }
}
