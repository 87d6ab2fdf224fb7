using System.Buffers;

namespace Envship.Core.Relocation;

/// <summary>
/// conda's text-mode rule: every occurrence of the old prefix is replaced by the new one,
/// as a plain byte substring, and the file length is free to change.
/// </summary>
public static class TextRelocator
{
    /// <summary>Replaces every non-overlapping occurrence of <paramref name="from"/>, scanning left to right.</summary>
    public static byte[] Replace(ReadOnlySpan<byte> input, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to)
    {
        if (from.IsEmpty)
        {
            throw new ArgumentException("The pattern to replace must not be empty.", nameof(from));
        }

        var occurrences = Count(input, from);
        if (occurrences == 0)
        {
            return input.ToArray();
        }

        // Counting first lets us allocate the result exactly once.
        var length = input.Length + ((long)occurrences * (to.Length - from.Length));
        var result = new byte[checked((int)length)];
        var written = 0;
        var remaining = input;
        while (true)
        {
            var index = remaining.IndexOf(from);
            if (index < 0)
            {
                remaining.CopyTo(result.AsSpan(written));
                return result;
            }

            remaining[..index].CopyTo(result.AsSpan(written));
            written += index;
            to.CopyTo(result.AsSpan(written));
            written += to.Length;
            remaining = remaining[(index + from.Length)..];
        }
    }

    /// <summary>
    /// Streams <paramref name="input"/> to <paramref name="output"/> replacing every occurrence of
    /// <paramref name="from"/>, with the same result as <see cref="Replace"/> on the whole content.
    /// Memory stays bounded by <paramref name="bufferSize"/> plus the pattern length.
    /// </summary>
    /// <returns>The number of replacements made.</returns>
    public static long Copy(Stream input, Stream output, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to, int bufferSize = 1 << 16)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1);
        if (from.IsEmpty)
        {
            throw new ArgumentException("The pattern to replace must not be empty.", nameof(from));
        }

        // A match can straddle two reads, so up to from.Length - 1 unresolved bytes are carried
        // to the front of the buffer before the next read.
        var carryCapacity = from.Length - 1;
        var rented = ArrayPool<byte>.Shared.Rent(checked(bufferSize + carryCapacity));
        try
        {
            long replacements = 0;
            var pending = 0;
            while (true)
            {
                var read = input.Read(rented, pending, bufferSize);
                var filled = pending + read;
                var atEnd = read == 0;
                var window = rented.AsSpan(0, filled);
                var position = 0;
                while (true)
                {
                    var index = window[position..].IndexOf(from);
                    if (index < 0)
                    {
                        break;
                    }

                    output.Write(window.Slice(position, index));
                    output.Write(to);
                    replacements++;
                    position += index + from.Length;
                }

                if (atEnd)
                {
                    output.Write(window[position..]);
                    return replacements;
                }

                // Anything starting before safeEnd would have been found in full above.
                var safeEnd = Math.Max(position, filled - carryCapacity);
                output.Write(window[position..safeEnd]);
                window[safeEnd..].CopyTo(rented);
                pending = filled - safeEnd;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    internal static int Count(ReadOnlySpan<byte> input, ReadOnlySpan<byte> pattern)
    {
        var count = 0;
        while (true)
        {
            var index = input.IndexOf(pattern);
            if (index < 0)
            {
                return count;
            }

            count++;
            input = input[(index + pattern.Length)..];
        }
    }
}
