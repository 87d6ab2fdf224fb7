using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Envship.Cli.Tests.Fixtures;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// Issue 12, item 3: hostile and damaged input at the tar and compression level, one archive per
/// class, each built from a valid archive by editing its bytes. Every one is refused with exit code 6
/// and a message naming the archive, the member and the cause, and DEST is never created.
/// </summary>
public sealed class TarStrictnessTests(TinyEnvironment env) : IClassFixture<TinyEnvironment>
{
    public static TheoryData<string> Cases => [.. CaseTable.Keys];

    /// <summary>Each case: the archive's bytes from the tiny environment's, its extension, and what the refusal says.</summary>
    internal static readonly Dictionary<string, (Func<TinyEnvironment, byte[]> Build, string Extension, string Expected)> CaseTable = new()
    {
        ["manifest sizes that sum past 2^63"] = (e => OverflowingManifest(e), ".tar", "more than any filesystem holds"),
        ["tar header size over 2^63"] = (e => EditHeader(Plain(e), "share/doc/f04.txt", h => { h.AsSpan(124, 12).Fill(0xFF); h[124] = 0x80; }), ".tar", "member after 'share/doc/f03.txt' has a tar header whose size does not fit in 63 bits"),
        ["pax size of 2^32 + N"] = (e => WithPax(Plain(e), "share/doc/f04.txt", [RawTar.Text("size", ((1L << 32) + 520).ToString(CultureInfo.InvariantCulture))], "share/doc/f04.txt", '0', 520), ".tar", "member 'share/doc/f04.txt' has a pax size of 4294967816 bytes but a ustar size of 520"),
        ["pax header over 4 GiB"] = (e => PaxHeaderOver4GiB(Plain(e), "share/doc/f04.txt"), ".tar", "member after 'share/doc/f03.txt' has a pax header of 4294967322 bytes; envship accepts at most 1048576"),
        ["pax path differs from ustar name"] = (e => WithPax(Plain(e), "share/doc/f05.txt", [RawTar.Text("path", "share/doc/f05.txt")], "share/doc/evil.txt", '0'), ".tar", "member 'share/doc/f05.txt' has a pax path that differs from its ustar name 'share/doc/evil.txt'"),
        ["pax linkpath differs from ustar link"] = (e => WithPax(Plain(e), "lib/link.txt", [RawTar.Text("linkpath", "config.txt")], "lib/link.txt", '2', 0, "/etc/passwd"), ".tar", "member 'lib/link.txt' has a pax link target 'config.txt' that differs from its ustar link target '/etc/passwd'"),
        ["checksum of the manifest's header"] = (e => Flip(Plain(e), RawTar.Members(Plain(e))[0].UstarHeader + 265), ".tar", "first member, which should be '.envship/manifest.json', has a tar header whose checksum is wrong"),
        ["checksum of the manifest's pax header"] = (e => Flip(Plain(e), RawTar.Members(Plain(e))[0].Start + 265), ".tar", "first member, which should be '.envship/manifest.json', has a tar header whose checksum is wrong"),
        ["checksum of a member's header"] = (e => Flip(Plain(e), RawTar.Members(Plain(e)).Single(m => m.Name == "share/doc/f07.txt").UstarHeader + 265), ".tar", "has a tar header whose checksum is wrong"),
        ["gzip without its trailer"] = (e => File.ReadAllBytes(e.TarGz)[..^8], ".tar.gz", "before its 8-byte trailer (CRC-32 and size): the file is truncated"),
        ["gzip with bytes after the last member"] = (e => [.. File.ReadAllBytes(e.TarGz), .. "trailing garbage\n"u8], ".tar.gz", "are not another gzip member"),
        ["non-UTF-8 name"] = (e => NonUtf8Name(e), ".tar", "has a name that is not valid UTF-8 ('share/caf\\xE9.txt')"),
        ["data after the end-of-archive blocks"] = (e => [.. Plain(e), .. RawTar.Header("share/late.txt", '0', 0)], ".tar", "the archive is followed by data after the tar's end-of-archive blocks"),
        ["metadata member bigger than the manifest says"] = (e => BiggerExport(e), ".tar", "holds 1048576 bytes by its tar header but the manifest's metadata declares"),
        ["global pax header"] = (e => RawTar.InsertBefore(Plain(e), "share/doc/f02.txt", RawTar.Header("./GlobalHead", 'g', 0)), ".tar", "pax global header"),
        ["GNU long name"] = (e => RawTar.InsertBefore(Plain(e), "share/doc/f02.txt", [.. RawTar.Header("././@LongLink", 'L', 6), .. RawTar.Padded("evil/\0"u8.ToArray())]), ".tar", "GNU long-name header"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_hostile_or_damaged_archive_is_refused_with_exit_6_and_no_destination(string name)
    {
        var (build, extension, expected) = CaseTable[name];
        var archive = env.Work.Combine("strict-" + Slug(name) + extension);
        File.WriteAllBytes(archive, build(env));

        AssertRefused(archive, expected);
    }

    /// <summary>
    /// A 100 MiB pax record on the manifest member: refused from the pax header's size, before the
    /// record is read (the reader's own test counts the bytes it takes: one block).
    /// </summary>
    [Fact]
    public void A_100_MiB_pax_record_on_the_manifest_is_refused()
    {
        var plain = Plain(env);
        var manifest = RawTar.Members(plain)[0];
        var records = plain[(manifest.Start + RawTar.Block)..manifest.UstarHeader].AsSpan().TrimEnd((byte)0).ToArray();
        var padding = RawTar.Record("envship.padding", Encoding.ASCII.GetBytes(new string('A', 100 << 20)));
        var archive = env.Work.Combine("strict-huge-manifest-pax.tar");
        using (var file = File.Create(archive))
        {
            file.Write(RawTar.Header("./PaxHeaders/x", 'x', records.Length + padding.Length));
            file.Write(records);
            file.Write(RawTar.Padded(padding));
            file.Write(plain.AsSpan(manifest.UstarHeader));
        }

        AssertRefused(archive, $"has a pax header of {records.Length + padding.Length} bytes; envship accepts at most 1048576");
    }

    private void AssertRefused(string archive, string expected)
    {
        var parent = env.Work.CreateDirectory("strict-dest-" + Path.GetFileName(archive));
        var destination = Path.Combine(parent, "env");

        var result = CliRunner.Run("deploy", archive, "--prefix", destination, "-q");

        Assert.True(result.ExitCode == (int)ExitCode.DamagedArchive, $"exit {result.ExitCode}, expected 6:\n{result.All}");
        Assert.Contains(archive, result.StdErr, StringComparison.Ordinal);
        Assert.True(result.StdErr.Contains(expected, StringComparison.Ordinal), $"expected '{expected}' in:\n{result.StdErr}");
        Assert.Matches("(copy the archive again|Copy the archive again|do not deploy it)", result.StdErr);
        Assert.False(Directory.Exists(destination) || File.Exists(destination), "DEST must not exist after a refusal");
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    internal static byte[] Plain(TinyEnvironment env) => File.ReadAllBytes(env.Tar);

    /// <summary>Two files of 2^62 bytes each: their sum is 2^63, one past the largest long.</summary>
    private static byte[] OverflowingManifest(TinyEnvironment env)
    {
        var archive = HostileArchiveBuilder.Read(env.Tar);
        var huge = new ManifestEntry { Path = "share/huge1", Type = EntryType.File, Mode = 420, MtimeNs = 0, Size = 1L << 62, Sha256 = new string('0', 64) };
        var manifest = archive.Manifest with
        {
            Entries = [.. archive.Manifest.Entries, huge, huge with { Path = "share/huge2" }],
            Summary = archive.Manifest.Summary with { TotalBytes = unchecked(archive.Manifest.Summary.TotalBytes + (1L << 62) + (1L << 62)) },
        };
        return WriteAndRead(env, archive with { Manifest = manifest }, "overflow");
    }

    /// <summary>A file whose ustar name is Latin-1 'café.txt', declared in the manifest as the name a lossy decoder would make of it.</summary>
    private static byte[] NonUtf8Name(TinyEnvironment env)
    {
        const string Mangled = "share/caf\uFFFD.txt";
        var archive = HostileArchiveBuilder.Read(env.Tar);
        var entry = new ManifestEntry { Path = Mangled, Type = EntryType.File, Mode = 420, MtimeNs = 0, Size = 1, Sha256 = Convert.ToHexStringLower(SHA256.HashData("x"u8)) };
        archive = archive with
        {
            Manifest = archive.Manifest with
            {
                Entries = [.. archive.Manifest.Entries, entry],
                Summary = archive.Manifest.Summary with { TotalBytes = archive.Manifest.Summary.TotalBytes + 1 },
            },
            Members = [.. archive.Members, new RawMember(Mangled, System.Formats.Tar.TarEntryType.RegularFile, "x"u8.ToArray())],
        };
        var tar = WriteAndRead(env, archive, "non-utf8");
        return RawTar.ReplaceHeaders(tar, Mangled, RawTar.Header([.. "share/caf"u8, 0xE9, .. ".txt"u8], '0', 1));
    }

    /// <summary>An embedded export (read into memory by deploy) whose tar header declares 1 MiB, more than the manifest lists.</summary>
    private static byte[] BiggerExport(TinyEnvironment env)
    {
        var archive = HostileArchiveBuilder.Read(env.Tar);
        var export = archive.Members.First(m => m.Name.StartsWith(".envship/exports/", StringComparison.Ordinal));
        var members = archive.Members.Select(m => m == export ? m with { Data = new byte[1 << 20] } : m).ToList();
        return WriteAndRead(env, archive with { Members = members }, "bigger-export");
    }

    private static byte[] WriteAndRead(TinyEnvironment env, HostileArchive archive, string name) =>
        File.ReadAllBytes(HostileArchiveBuilder.Write(env.Work.Combine($"strict-source-{name}.tar"), archive, ArchiveFormat.Tar));

    /// <summary>Replaces a member's headers with a pax header of <paramref name="records"/> and a ustar header of the given fields.</summary>
    internal static byte[] WithPax(byte[] tar, string member, (string, byte[])[] records, string ustarName, char type, long? ustarSize = null, string? link = null) =>
        RawTar.ReplaceHeaders(tar, member, [.. RawTar.Pax(records), .. RawTar.Header(ustarName, type, ustarSize ?? RawTar.Members(tar).Single(m => m.Name == member).Size, link)]);

    /// <summary>
    /// A pax header that declares 4 GiB more than its records: a reader that keeps 32 bits of the size
    /// applies the records to the member after them, while GNU tar skips 4 GiB and never reaches it.
    /// </summary>
    private static byte[] PaxHeaderOver4GiB(byte[] tar, string member)
    {
        var records = RawTar.Record("path", Encoding.UTF8.GetBytes(member));
        var span = RawTar.Members(tar).Single(m => m.Name == member);
        byte[] headers = [.. RawTar.Header("./PaxHeaders/x", 'x', (1L << 32) + records.Length), .. RawTar.Padded(records), .. tar.AsSpan(span.UstarHeader, RawTar.Block)];
        return RawTar.ReplaceHeaders(tar, member, headers);
    }

    internal static byte[] EditHeader(byte[] tar, string member, Action<byte[]> edit)
    {
        var span = RawTar.Members(tar).Single(m => m.Name == member);
        var header = tar[span.UstarHeader..(span.UstarHeader + RawTar.Block)];
        edit(header);
        RawTar.Checksum(header);
        header.CopyTo(tar, span.UstarHeader);
        return tar;
    }

    /// <summary>Changes one byte of a header (in the uname field, which envship ignores) and leaves its checksum as it was.</summary>
    internal static byte[] Flip(byte[] tar, int offset)
    {
        tar[offset] ^= 0x01;
        return tar;
    }

    private static string Slug(string name) => new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);
}
