using System.Buffers;

namespace Envship.Core.Relocation;

/// <summary>Outcome of <see cref="CStringRelocator.Relocate"/>.</summary>
/// <param name="Fits">True when the rewritten string left at least one NUL in the region.</param>
/// <param name="Occurrences">How many times the old prefix occurs in the string.</param>
/// <param name="NewStringLength">Length of the string after replacement, without its NUL.</param>
/// <param name="MaxDestinationLength">
/// Longest replacement that would still fit; <see cref="int.MaxValue"/> when nothing is replaced.
/// </param>
public readonly record struct CStringResult(bool Fits, int Occurrences, int NewStringLength, int MaxDestinationLength);

/// <summary>
/// conda's binary rule: the prefix is replaced inside a NUL-terminated string and the remainder is
/// padded with NULs, so the file length and every offset into it stay the same.
/// </summary>
public static class CStringRelocator
{
    // Strings up to this size are rebuilt on the stack when region and destination overlap.
    private const int StackLimit = 1024;

    /// <summary>
    /// Length of the region starting at a prefix hit: the string through its first NUL, plus up to
    /// <paramref name="extraPadding"/> further NUL bytes (stopping at the first non-NUL). -1 when no NUL exists.
    /// </summary>
    public static int MeasureRegion(ReadOnlySpan<byte> fromHit, int extraPadding)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(extraPadding);
        var terminator = fromHit.IndexOf((byte)0);
        if (terminator < 0)
        {
            return -1;
        }

        var length = terminator + 1;
        var tail = fromHit[length..];
        var padding = tail.IndexOfAnyExcept((byte)0);
        if (padding < 0)
        {
            padding = tail.Length;
        }

        return length + Math.Min(padding, extraPadding);
    }

    /// <summary>
    /// Replaces every <paramref name="from"/> in the string at the start of <paramref name="region"/>
    /// and writes string plus NUL padding into <paramref name="destination"/> (same length as the region).
    /// The destination is left untouched when the result does not fit. It may be the region itself.
    /// </summary>
    public static CStringResult Relocate(ReadOnlySpan<byte> region, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to, Span<byte> destination)
    {
        if (from.IsEmpty)
        {
            throw new ArgumentException("The pattern to replace must not be empty.", nameof(from));
        }

        if (destination.Length != region.Length)
        {
            throw new ArgumentException("The destination must be exactly as long as the region.", nameof(destination));
        }

        var stringLength = region.IndexOf((byte)0);
        if (stringLength < 0)
        {
            throw new ArgumentException("The region must contain the string's NUL terminator.", nameof(region));
        }

        var text = region[..stringLength];
        var occurrences = TextRelocator.Count(text, from);
        var spare = region.Length - 1 - stringLength;
        if (occurrences == 0)
        {
            region.CopyTo(destination);
            destination[stringLength..].Clear();
            return new CStringResult(true, 0, stringLength, int.MaxValue);
        }

        var newLength = stringLength + ((long)occurrences * (to.Length - from.Length));
        var maxDestination = from.Length + (spare / occurrences);
        var fits = newLength <= region.Length - 1;
        var result = new CStringResult(fits, occurrences, (int)newLength, maxDestination);
        if (!fits)
        {
            return result;
        }

        if (!region.Overlaps(destination))
        {
            Write(text, from, to, destination);
            return result;
        }

        byte[]? rented = null;
        var scratch = region.Length <= StackLimit
            ? stackalloc byte[region.Length]
            : (rented = ArrayPool<byte>.Shared.Rent(region.Length)).AsSpan(0, region.Length);
        Write(text, from, to, scratch);
        scratch.CopyTo(destination);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return result;
    }

    private static void Write(ReadOnlySpan<byte> text, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to, Span<byte> destination)
    {
        var written = 0;
        while (true)
        {
            var index = text.IndexOf(from);
            if (index < 0)
            {
                break;
            }

            text[..index].CopyTo(destination[written..]);
            written += index;
            to.CopyTo(destination[written..]);
            written += to.Length;
            text = text[(index + from.Length)..];
        }

        text.CopyTo(destination[written..]);
        written += text.Length;
        destination[written..].Clear();
    }
}
