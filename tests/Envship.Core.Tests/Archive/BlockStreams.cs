namespace Envship.Core.Tests.Archive;

/// <summary>What the compression tests share: data that compresses somewhat, odd-sized writes, reading a stream out.</summary>
internal static class BlockStreams
{
    /// <summary>Writes in pieces of an odd size, so block and frame cuts never line up with writes.</summary>
    public static byte[] WriteInPieces(byte[] data, Func<Stream, Stream> compressor)
    {
        var output = new MemoryStream();
        using (var stream = compressor(output))
        {
            for (var offset = 0; offset < data.Length; offset += 77_777)
            {
                stream.Write(data.AsSpan(offset, Math.Min(77_777, data.Length - offset)));
            }
        }

        return output.ToArray();
    }

    public static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Text-like, compressible data with some noise.</summary>
    public static byte[] TextLike(int length)
    {
        var random = new Random(length);
        var data = new byte[length];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = random.Next(8) == 0 ? (byte)random.Next(256) : (byte)('a' + (i % 23));
        }

        return data;
    }
}
