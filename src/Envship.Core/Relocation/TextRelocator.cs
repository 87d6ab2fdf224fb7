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
        var result = new byte[checked((int)(input.Length + ((long)occurrences * (to.Length - from.Length))))];
        Replace(input, from, to, result);
        return result;
    }

    /// <summary>The length <see cref="Replace(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> will write.</summary>
    public static long ReplacedLength(ReadOnlySpan<byte> input, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to)
    {
        if (from.IsEmpty)
        {
            throw new ArgumentException("The pattern to replace must not be empty.", nameof(from));
        }

        return input.Length + ((long)Count(input, from) * (to.Length - from.Length));
    }

    /// <summary>
    /// The same replacement as <see cref="Replace(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>,
    /// into <paramref name="destination"/>, which must hold <see cref="ReplacedLength"/> bytes and not overlap the input.
    /// </summary>
    /// <returns>The bytes written.</returns>
    public static int Replace(ReadOnlySpan<byte> input, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to, Span<byte> destination)
    {
        if (from.IsEmpty)
        {
            throw new ArgumentException("The pattern to replace must not be empty.", nameof(from));
        }

        var written = 0;
        while (true)
        {
            var index = input.IndexOf(from);
            if (index < 0)
            {
                input.CopyTo(destination[written..]);
                return written + input.Length;
            }

            input[..index].CopyTo(destination[written..]);
            written += index;
            to.CopyTo(destination[written..]);
            written += to.Length;
            input = input[(index + from.Length)..];
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
