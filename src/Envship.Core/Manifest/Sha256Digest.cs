using System.Buffers.Binary;
using System.Buffers;
using System.Runtime.CompilerServices;
using Envship.Core.Archive;
using Envship.Core.Pack;

namespace Envship.Core.Manifests;

/// <summary>
/// A SHA-256 held as its 32 bytes. A manifest of 200,000 files would otherwise keep 200,000
/// 64-character hex strings, about 150 bytes each instead of 32.
/// </summary>
[SkipLocalsInit]
internal readonly struct Sha256Digest : IEquatable<Sha256Digest>
{
    public static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");
    private static readonly SearchValues<byte> LowerHexBytes = SearchValues.Create("0123456789abcdef"u8);

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    private Sha256Digest(ReadOnlySpan<byte> bytes)
    {
        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    public static Sha256Digest FromBytes(ReadOnlySpan<byte> bytes) => new(bytes);

    /// <summary>Parses the form manifests use, 64 lowercase hex digits; anything else is kept as text by the caller.</summary>
    public static bool TryParseLowerHex(string? text, out Sha256Digest digest)
    {
        digest = default;
        if (text is not { Length: 64 } || text.AsSpan().ContainsAnyExcept(LowerHexDigits))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[32];
        if (Convert.FromHexString(text, bytes, out _, out var written) != OperationStatus.Done || written != 32)
        {
            return false;
        }

        digest = new Sha256Digest(bytes);
        return true;
    }

    /// <summary>The same, straight from UTF-8 JSON text, so a manifest's hashes are never made into strings.</summary>
    public static bool TryParseLowerHex(ReadOnlySpan<byte> utf8, out Sha256Digest digest)
    {
        digest = default;
        Span<byte> bytes = stackalloc byte[32];
        if (utf8.Length != 64 || utf8.ContainsAnyExcept(LowerHexBytes)
            || Convert.FromHexString(utf8, bytes, out _, out var written) != OperationStatus.Done || written != 32)
        {
            return false;
        }

        digest = new Sha256Digest(bytes);
        return true;
    }

    /// <summary>Writes the 64 lowercase hex digits as UTF-8 into <paramref name="utf8"/>, which must hold them.</summary>
    public void FormatLowerHex(Span<byte> utf8)
    {
        Span<byte> bytes = stackalloc byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, _a);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[24..], _d);
        if (!Convert.TryToHexStringLower(bytes, utf8, out _))
        {
            throw new ArgumentException("A SHA-256 needs 64 bytes of room.", nameof(utf8));
        }
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, _a);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[24..], _d);
        return Convert.ToHexStringLower(bytes);
    }

    public bool Equals(Sha256Digest other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is Sha256Digest other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    public static bool operator ==(Sha256Digest left, Sha256Digest right) => left.Equals(right);

    public static bool operator !=(Sha256Digest left, Sha256Digest right) => !left.Equals(right);
}
