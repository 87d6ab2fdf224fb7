using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Testing;

namespace Envship.Core.Tests.Deploy;

/// <summary>Deploy relocates small files in memory and big ones on disk: both must leave the same bytes.</summary>
public sealed class FileRelocationApplierTests : IDisposable
{
    private const string Source = "/opt/src/env";
    private const string Shorter = "/d";
    private static readonly string _longer = "/srv/" + new string('l', 140) + "/env";

    private readonly TempDirectory _work = new("envship-applier-");

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var destination in new[] { Shorter, _longer, "/same/length" })
        {
            foreach (var name in Contents.Keys)
            {
                data.Add(name, destination);
            }
        }

        return data;
    }

    private static Dictionary<string, (RelocationKind Kind, byte[] Bytes)> Contents { get; } = new()
    {
        ["text"] = (RelocationKind.Text, Utf8($"a={Source}/lib\nb={Source}{Source}\n{Source}")),
        ["text without the prefix"] = (RelocationKind.Text, Utf8("nothing here\n")),
        ["shebang"] = (RelocationKind.Shebang, Utf8($"#!{Source}/bin/python3.12 -E\nprint('{Source}')\n")),
        ["shebang of another tool"] = (RelocationKind.Shebang, Utf8($"#!{Source}/bin/perl -w\n# {Source}\n")),
        ["shebang without newline"] = (RelocationKind.Shebang, Utf8($"#!{Source}/bin/python")),
        ["shebang line beyond the head"] = (RelocationKind.Shebang, Utf8($"#!{Source}/bin/sh {new string('a', 5000)} {Source}\nrest {Source}\n")),
        ["shebang kind without #!"] = (RelocationKind.Shebang, Utf8($"echo {Source}\n")),
        ["empty"] = (RelocationKind.Text, []),
        ["binary"] = (RelocationKind.Binary, Binary()),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Memory_and_disk_leave_the_same_bytes(string name, string destination)
    {
        var (kind, bytes) = Contents[name];
        var entry = Entry(kind, bytes, kind == RelocationKind.Binary ? Segments() : null);
        var target = new RelocationTarget(Source, destination);
        var path = _work.Combine("file");
        File.WriteAllBytes(path, bytes);
        var temporary = _work.Combine("elsewhere");

        var onDisk = FileRelocationApplier.Apply(path, entry, target, temporary);
        var inMemory = Relocate(bytes, entry, target);

        Assert.Equal(File.ReadAllBytes(path), inMemory);
        Assert.Equal(onDisk, Convert.ToHexStringLower(SHA256.HashData(inMemory)));
        Assert.False(File.Exists(temporary));
    }

    [Fact]
    public void The_long_path_trampoline_comes_out_of_memory_too()
    {
        var (kind, bytes) = Contents["shebang"];

        var relocated = Encoding.UTF8.GetString(Relocate(bytes, Entry(kind, bytes, null), new RelocationTarget(Source, _longer)));

        Assert.StartsWith("#!/bin/sh\n'''exec' \"" + _longer + "/bin/python3.12\" -E \"$0\" \"$@\"\n' '''\n", relocated, StringComparison.Ordinal);
        Assert.EndsWith($"print('{_longer}')\n", relocated, StringComparison.Ordinal);
    }

    [Fact]
    public void Binary_strings_that_do_not_fit_are_left_alone_and_segments_past_the_end_are_skipped()
    {
        var bytes = Binary();
        var segments = Segments().Where(s => s.Kind == SegmentKind.CString).Append(new BinarySegment { Offset = bytes.Length - 4, Length = 8, StringLength = 3, Occurrences = 1 }).ToList();
        var entry = Entry(RelocationKind.Binary, bytes, segments);

        var relocated = Relocate(bytes, entry, new RelocationTarget(Source, _longer));

        Assert.Equal(bytes, relocated);
    }

    public void Dispose() => _work.Dispose();

    private static byte[] Relocate(byte[] bytes, ManifestEntry entry, RelocationTarget target)
    {
        var copy = bytes.ToArray();
        var result = FileRelocationApplier.Relocate(copy, entry, target, out var rented).ToArray();
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return result;
    }

    private static ManifestEntry Entry(RelocationKind kind, byte[] bytes, IReadOnlyList<BinarySegment>? segments) => new()
    {
        Path = "lib/file",
        Type = EntryType.File,
        Mode = 420,
        MtimeNs = 0,
        Size = bytes.Length,
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)),
        Relocation = new FileRelocation { Kind = kind, Segments = segments },
    };

    /// <summary>A C string with its NUL, one with padding after it, and an ELF run path, among bytes that are not text.</summary>
    private static byte[] Binary()
    {
        var bytes = new byte[600];
        new Random(5).NextBytes(bytes);
        Place(bytes, 100, $"{Source}/share:{Source}/etc", 0);
        Place(bytes, 250, $"{Source}/lib/plugins", 60);
        Place(bytes, 450, $"{Source}/lib", 40);
        return bytes;
    }

    private static void Place(byte[] bytes, int offset, string text, int padding)
    {
        var encoded = Utf8(text);
        bytes.AsSpan(offset, encoded.Length + 1 + padding).Clear();
        encoded.CopyTo(bytes, offset);
    }

    private static List<BinarySegment> Segments() =>
    [
        new() { Offset = 100, Length = Utf8($"{Source}/share:{Source}/etc").Length + 1, StringLength = Utf8($"{Source}/share:{Source}/etc").Length, Occurrences = 2 },
        new() { Offset = 250, Length = Utf8($"{Source}/lib/plugins").Length + 61, StringLength = Utf8($"{Source}/lib/plugins").Length, Occurrences = 1 },
        new() { Offset = 450, Length = Utf8($"{Source}/lib").Length + 41, StringLength = Utf8($"{Source}/lib").Length, Occurrences = 1, Kind = SegmentKind.ElfRunpath, Value = $"{Source}/lib" },
    ];

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
