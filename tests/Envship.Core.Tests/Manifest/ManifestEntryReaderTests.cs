using System.Text.Json;
using System.Text;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Tests.Manifests;

/// <summary>
/// Manifest entries are read by a hand-written reader for speed. It must read exactly what the
/// generated reader reads, the same way, and refuse exactly what it refuses.
/// </summary>
public sealed class ManifestEntryReaderTests
{
    public static TheoryData<string> Entries => new()
    {
        """{ "path": "bin/python", "type": "File", "mode": 493, "mtime_ns": 1700000000123456789, "size": 12, "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" }""",
        """{ "path": "lib", "type": "Directory", "mode": 493, "mtime_ns": 5 }""",
        """{ "path": "lib/l.so", "type": "Symlink", "mode": 511, "mtime_ns": 5, "target": "../<x>&\u00e9" }""",
        """{ "path": "lib/h", "type": "Hardlink", "mode": 420, "mtime_ns": 5, "target": "lib/f" }""",
        """{ "type": "file", "path": "any/order", "mtime_ns": -3, "mode": 0, "unknown": { "nested": [1, 2, {"x": null}] } }""",
        """{ "path": "n", "type": 2, "mode": 1, "mtime_ns": 1 }""",
        """{ "path": "s", "type": "File", "mode": 1, "mtime_ns": 1, "size": 4, "sha256": "NOT-HEX" }""",
        """{ "path": "r", "type": "File", "mode": 1, "mtime_ns": 1, "relocation": { "kind": "Binary", "occurrences": 2, "segments": [ { "offset": 10, "length": 255, "string_length": 40, "occurrences": 1 }, { "offset": 90, "length": 60, "string_length": 50, "occurrences": 1, "kind": "ElfRunpath", "value": "$ORIGIN" } ] } }""",
        """{ "path": "t", "type": "File", "mode": 1, "mtime_ns": 1, "relocation": null, "target": null, "sha256": null }""",
        """{ "path": "dup", "path": "last wins", "type": "File", "mode": 1, "mtime_ns": 1 }""",
        """{ "path": "esc\"aped", "type": "File", "mode": 1, "mtime_ns": 1 }""",
    };

    public static TheoryData<string> Refused => new()
    {
        """{ "type": "File", "mode": 1, "mtime_ns": 1 }""",
        """{ "path": "p", "mode": 1, "mtime_ns": 1 }""",
        """{ "path": "p", "type": "File", "mtime_ns": 1 }""",
        """{ "path": "p", "type": "File", "mode": 1 }""",
        """{ "path": "p", "type": "File", "mode": "493", "mtime_ns": 1 }""",
        """{ "path": "p", "type": "File", "mode": 1.5, "mtime_ns": 1 }""",
        """{ "path": "p", "type": "File", "mode": 99999999999, "mtime_ns": 1 }""",
        """{ "path": "p", "type": "Pipe", "mode": 1, "mtime_ns": 1 }""",
        """{ "path": 7, "type": "File", "mode": 1, "mtime_ns": 1 }""",
        """{ "path": "p", "type": "File", "mode": 1, "mtime_ns": 1, "size": "big" }""",
        """{ "path": "p", "type": "File", "mode": 1, "mtime_ns": 1, "relocation": { "occurrences": 1 } }""",
        """[ "not", "an", "entry" ]""",
        "\"a string\"",
    };

    [Theory]
    [MemberData(nameof(Entries))]
    public void Reads_every_entry_as_the_generated_reader_does(string entry)
    {
        var json = Manifest(entry);
        var generated = JsonSerializer.Deserialize(json, ManifestJsonContext.Default.Manifest)!;
        var fast = JsonSerializer.Deserialize(json, ManifestReadContext.Default.Manifest)!;

        Assert.Equal(Written(generated), Written(fast));
        Assert.Equal(generated.Entries[0].Sha256, fast.Entries[0].Sha256);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void Refuses_what_the_generated_reader_refuses(string entry)
    {
        var json = Manifest(entry);
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(json, ManifestJsonContext.Default.Manifest));
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(json, ManifestReadContext.Default.Manifest));
    }

    [Fact]
    public void Streamed_reads_of_many_entries_agree_across_buffer_boundaries()
    {
        var shapes = ((IEnumerable<object[]>)Entries).Select(row => (string)row[0]).ToList();
        var entries = string.Join(",\n", Enumerable.Range(0, 5000).Select(i => shapes[i % shapes.Count]));
        var json = Manifest(entries);
        using var stream = new MemoryStream(json);
        var fast = ManifestJson.Deserialize(stream, "test");

        Assert.Equal(5000, fast.Entries.Count);
        Assert.Equal(Written(JsonSerializer.Deserialize(json, ManifestJsonContext.Default.Manifest)!), Written(fast));
    }

    private static byte[] Manifest(string entries) => Encoding.UTF8.GetBytes(
        $$"""
        { "envship_version": "0", "source_prefix": "/p", "platform": { "subdir": "linux-64", "os": "linux", "arch": "x86_64" },
          "created": "2026-01-01T00:00:00+00:00", "root": { "mode": 493, "mtime_ns": 1 }, "environments": [], "summary": {},
          "entries": [ {{entries}} ] }
        """);

    private static byte[] Written(Manifest manifest)
    {
        using var output = new MemoryStream();
        ManifestJson.Write(manifest, output);
        return output.ToArray();
    }
}
