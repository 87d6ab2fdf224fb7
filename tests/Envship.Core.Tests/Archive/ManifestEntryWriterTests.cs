using System.Text.Json;
using Envship.Core.Archive;

namespace Envship.Core.Tests.Archive;

/// <summary>Entries are written by hand for speed; the bytes must be the generated serializer's.</summary>
public sealed class ManifestEntryWriterTests
{
    public static TheoryData<int> Shapes => [.. Enumerable.Range(0, 8)];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Writes_the_bytes_the_generated_serializer_writes(int shape)
    {
        var entry = Entry(shape);
        Assert.Equal(Generated(entry), HandWritten(entry));
    }

    private static ManifestEntry Entry(int shape) => shape switch
    {
        0 => new ManifestEntry { Path = "bin/python3.12", Type = EntryType.File, Mode = 0x1ED, MtimeNs = 1_700_000_000_123_456_789, Size = 12, Sha256 = new string('a', 64) },
        1 => new ManifestEntry { Path = "lib", Type = EntryType.Directory, Mode = 0x1ED, MtimeNs = -5 },
        2 => new ManifestEntry { Path = "lib/t\u00e9l\u00e9\"<&>'\\\u0001", Type = EntryType.Symlink, Mode = 0x1FF, MtimeNs = 5, Target = "../<x>&\u00e9\t" },
        3 => new ManifestEntry { Path = "lib/h", Type = EntryType.Hardlink, Mode = 0x1A4, MtimeNs = 5, Target = "lib/f" },
        4 => new ManifestEntry { Path = "s", Type = EntryType.File, Mode = 1, MtimeNs = 1, Size = 4, Sha256 = "NOT CANONICAL" },
        5 => new ManifestEntry { Path = "n", Type = EntryType.File, Mode = 1, MtimeNs = 1 },
        6 => new ManifestEntry { Path = "x", Type = (EntryType)42, Mode = 1, MtimeNs = 1 },
        _ => new ManifestEntry
        {
            Path = "lib/libx.so",
            Type = EntryType.File,
            Mode = 0x1ED,
            MtimeNs = 7,
            Size = 4096,
            Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([7])),
            Relocation = new FileRelocation
            {
                Kind = RelocationKind.Binary,
                Occurrences = 2,
                Segments =
                [
                    new BinarySegment { Offset = 100, Length = 255, StringLength = 40, Occurrences = 1 },
                    new BinarySegment { Offset = 900, Length = 60, StringLength = 50, Occurrences = 1, Kind = SegmentKind.ElfRunpath, Value = "$ORIGIN/../lib" },
                ],
            },
        },
    };

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
