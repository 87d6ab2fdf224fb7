using System.Text.Json;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Tests.Archive;

namespace Envship.Core.Tests.Manifests;

/// <summary>Entries are written by hand for speed; the bytes must be the generated serializer's.</summary>
public sealed class ManifestEntryWriterTests
{
    public static TheoryData<int> Shapes => [.. Enumerable.Range(0, 5)];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Writes_the_bytes_the_generated_serializer_writes(int shape)
    {
        var entry = EntryShapes.Entry(shape);
        Assert.Equal(Generated(entry), HandWritten(entry));
    }

    [Fact]
    public void Writes_escapes_odd_hashes_and_unknown_types_as_the_generated_serializer_does()
    {
        ManifestEntry[] odd =
        [
            new() { Path = "lib/t\u00e9l\u00e9\"<&>'\\\u0001", Type = EntryType.Symlink, Mode = 0x1FF, MtimeNs = -5, Target = "../<x>&\u00e9\t" },
            new() { Path = "s", Type = EntryType.File, Mode = 1, MtimeNs = 1, Size = 4, Sha256 = "NOT CANONICAL" },
            new() { Path = "n", Type = EntryType.File, Mode = 1, MtimeNs = 1 },
            new() { Path = "x", Type = (EntryType)42, Mode = 1, MtimeNs = 1 },
        ];
        foreach (var entry in odd)
        {
            Assert.Equal(Generated(entry), HandWritten(entry));
        }
    }

    // Both inside an array, as in a manifest, so indentation and separators are compared too.
    private static string Generated(ManifestEntry entry) => Written(writer => JsonSerializer.Serialize(writer, entry, ManifestJsonContext.Default.ManifestEntry));

    private static string HandWritten(ManifestEntry entry) => Written(writer => ManifestEntryWriter.Write(writer, entry));

    private static string Written(Action<Utf8JsonWriter> write)
    {
        using var output = new MemoryStream();
        using (var writer = new Utf8JsonWriter(output, ManifestJson.WriterOptions))
        {
            writer.WriteStartArray();
            write(writer);
            write(writer);
            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(output.ToArray());
    }
}
