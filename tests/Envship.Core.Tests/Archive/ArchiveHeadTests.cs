using Envship.Core.Archive.Compression;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Scanning;
using Envship.Testing;

namespace Envship.Core.Tests.Archive;

/// <summary>
/// The head of a single-pass pack goes into the room left in front of the members; a head larger
/// than the room gets more, by inserting blocks (ext4, where /tmp is here) or by copying (tmpfs).
/// Every way must give the same bytes, which plain zstd reads as the head followed by the members.
/// </summary>
public sealed class ArchiveHeadTests
{
    private static readonly byte[] Members = Compressed(Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7 % 251)).ToArray());

    [Theory]
    [InlineData(1_000, 8192)]
    [InlineData(8_184, 8192)]
    [InlineData(8_185, 8192)]
    [InlineData(20_000, 8192)]
    [InlineData(20_000, 0)]
    public void A_head_in_front_of_members_reads_back_the_same_wherever_it_was_placed(int headLength, int reserved)
    {
        // Placing never looks inside the head, so any bytes of the length under test will do.
        var head = new byte[headLength];
        new Random(headLength).NextBytes(head);
        using var disk = new TempDirectory();
        var onDisk = Place(disk.Path, head, reserved);

        using var memory = new SharedMemoryDirectory();
        var inMemory = Place(memory.Path, head, reserved);

        Assert.Equal(File.ReadAllBytes(onDisk), File.ReadAllBytes(inMemory));
        var bytes = File.ReadAllBytes(onDisk);
        Assert.Equal(ArchiveHead.Region(head.Length, reserved) + Members.Length, bytes.Length);
        Assert.Equal(0, ArchiveHead.Region(head.Length, reserved) % HeadReserve.Alignment);
        Assert.Equal(head, bytes[..head.Length]);
        Assert.Equal(Members, bytes[^Members.Length..]);
    }

    [Fact]
    public void Plain_zstd_reads_the_head_the_padding_and_the_members_as_one_stream()
    {
        var headData = "the manifest and its exports\n"u8.ToArray();
        var head = Compressed(headData);
        using var work = new TempDirectory();
        var path = Place(work.Path, head, 64 << 10);

        var decoded = ProcessRunner.RunChecked("sh", ["-c", $"zstd -dc '{path}' | sha256sum"]).StdOut.Split(' ')[0];
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([.. headData, .. Expanded(Members)]));
        Assert.Equal(expected, decoded);
    }

    [Fact]
    public void A_head_that_fits_its_room_leaves_the_rest_as_a_hole_not_written_zeros()
    {
        var head = Compressed("small head"u8.ToArray());
        using var work = new TempDirectory();
        var path = Place(work.Path, head, 1 << 20);

        var allocatedBlocks = long.Parse(ProcessRunner.RunChecked("stat", ["-c", "%b", path]).StdOut.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(allocatedBlocks * 512 < (1 << 20), $"the unused room takes {allocatedBlocks * 512} bytes on disk");
    }

    [Fact]
    public void The_reserve_for_a_walk_is_the_same_every_time_and_a_little_above_the_head()
    {
        var items = Walk(20_000);
        var first = HeadReserve.EstimateEntries(items, 3);
        Assert.Equal(first, HeadReserve.EstimateEntries(items, 3));

        var actual = ActualEntriesBytes(items);
        Assert.InRange(first / (double)actual, 0.9, 1.3);
        var reserve = HeadReserve.Total(first, [("records.json", new byte[30_000])]);
        Assert.Equal(0, reserve % HeadReserve.Alignment);
        Assert.True(reserve > actual, $"room {reserve} for a head of {actual}");
    }

    [Fact]
    public void An_empty_walk_still_gets_room_for_the_manifest_outline()
    {
        Assert.Equal(0, HeadReserve.EstimateEntries([], 3));
        Assert.True(HeadReserve.Total(0, []) >= HeadReserve.Alignment);
    }

    private static string Place(string directory, byte[] head, long reserved)
    {
        var path = Path.Combine(directory, "archive.tar.zst");
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            file.Position = reserved;
            file.Write(Members);
        }

        ArchiveHead.Place(path, head, reserved, ArchiveFormat.TarZst, path + "-joined");
        Assert.False(File.Exists(path + "-joined"));
        return path;
    }

    private static InventoryItem[] Walk(int count)
    {
        var random = new Random(5);
        return [.. Enumerable.Range(0, count).Select(i => new InventoryItem(
            new ManifestEntry
            {
                Path = $"lib/python3.12/site-packages/pkg{i / 400:D3}/sub{i / 40 % 10}/module_{i % 40}.py",
                Type = i % 40 == 0 ? EntryType.Directory : EntryType.File,
                Mode = 0x1A4,
                MtimeNs = 1_700_000_000_000_000_000 + random.NextInt64(1_000_000_000),
                Size = random.Next(100, 50_000),
            },
            "/opt/env"))];
    }

    private static long ActualEntriesBytes(IReadOnlyList<InventoryItem> items)
    {
        var manifest = new Manifest
        {
            EnvshipVersion = "0",
            SourcePrefix = "/opt/env",
            Platform = new ManifestPlatform("linux-64", "linux", "x86_64"),
            Created = DateTimeOffset.UnixEpoch,
            Root = new ManifestRoot(0x1ED, 0),
            Environments = [],
            Summary = new ManifestSummary(),
            Entries = [.. items.Select((item, i) => item.Entry.Type == EntryType.File
                ? item.Entry with { Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i * 31 + 7))) }
                : item.Entry)],
        };
        return Compressed(ManifestJson.Serialize(manifest)).Length;
    }

    private static byte[] Compressed(byte[] data)
    {
        using var output = new MemoryStream();
        using (var compressor = ZstdStreams.Compressor(output, 3, 1))
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] Expanded(byte[] frames)
    {
        using var input = ZstdStreams.Decompressor(new MemoryStream(frames), leaveOpen: false);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>A directory on /dev/shm, a tmpfs, which cannot insert blocks: placing there copies.</summary>
    private sealed class SharedMemoryDirectory : IDisposable
    {
        public SharedMemoryDirectory()
        {
            Assert.Equal("tmpfs", ProcessRunner.RunChecked("stat", ["-f", "-c", "%T", "/dev/shm"]).StdOut.Trim());
            Path = Directory.CreateDirectory($"/dev/shm/envship-head-{Guid.NewGuid():N}").FullName;
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
