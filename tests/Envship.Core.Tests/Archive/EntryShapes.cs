using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Tests.Archive;

/// <summary>Manifest entries of every shape, for the tests of how entries are written and read.</summary>
internal static class EntryShapes
{
    // Every shape an entry takes: each type, escaped and non-ASCII paths, relocations with segments.
    public static ManifestEntry Entry(int i) => (i % 5) switch
    {
        0 => new ManifestEntry { Path = $"lib/d{i}", Type = EntryType.Directory, Mode = 0x1ED, MtimeNs = 1_700_000_000_000_000_000 + i },
        1 => new ManifestEntry
        {
            Path = $"bin/t\u00e9l\u00e9charger+\"{i}\"",
            Type = EntryType.File,
            Mode = 0x1ED,
            MtimeNs = i,
            Size = i * 31,
            Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))),
            Relocation = new FileRelocation { Kind = RelocationKind.Shebang, Occurrences = 2 },
        },
        2 => new ManifestEntry { Path = $"lib/link{i}", Type = EntryType.Symlink, Mode = 0x1FF, MtimeNs = i, Target = "../<target>&" },
        3 => new ManifestEntry { Path = $"lib/hard{i}", Type = EntryType.Hardlink, Mode = 0x1A4, MtimeNs = i, Target = $"lib/file{i}" },
        _ => new ManifestEntry
        {
            Path = $"lib/libx{i}.so",
            Type = EntryType.File,
            Mode = 0x1ED,
            MtimeNs = i,
            Size = 4096,
            Sha256 = new string('a', 64),
            Relocation = new FileRelocation
            {
                Kind = RelocationKind.Binary,
                Occurrences = 2,
                Segments =
                [
                    new BinarySegment { Offset = 100, Length = 255, StringLength = 40, Occurrences = 1, Value = "/opt/py/3.11.7", SharedTails = [new SharedTail { Offset = 108, Text = "3.11.7" }] },
                    new BinarySegment { Offset = 900, Length = 60, StringLength = 50, Occurrences = 1, Kind = SegmentKind.ElfRunpath, Value = "$ORIGIN/../lib:/opt/x" },
                ],
            },
        },
    };
}
