using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Envship.Cli.Tests.Fixtures;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core;

namespace Envship.Cli.Tests;

/// <summary>
/// Acceptance 1 of issue 4: a corpus of hostile archives, one per attack, each built here from a valid
/// archive. Every one is refused with its own message and exit code 6, the staging directory is gone,
/// DEST does not exist, and nothing in the sandbox (DEST's parent and the outside paths the attack aims at) changed.
/// </summary>
public sealed class HostileArchiveTests(TinyEnvironment env) : IClassFixture<TinyEnvironment>
{
    private const string Secret = "outside/secret.txt";

    public static TheoryData<string> Cases => [.. CaseTable.Keys];

    private static readonly Dictionary<string, (Func<Attack, HostileArchive> Build, ArchiveFormat Format, string Expected)> CaseTable = new()
    {
        ["member with .."] = (a => a.WithMembers(m => m.Insert(0, File("../escape.txt", "pwned"))), ArchiveFormat.Tar, "'../escape.txt', which has a '..' component"),
        ["absolute member"] = (a => a.WithMembers(m => m.Insert(0, File(a.Outside("abs.txt"), "pwned"))), ArchiveFormat.TarZst, "which is an absolute path"),
        ["manifest entry with .."] = (a => a.Add(FileEntry("../escape.txt", "pwned"), File("../escape.txt", "pwned")), ArchiveFormat.Tar, "entry '../escape.txt' has a '..' component"),
        ["absolute manifest entry"] = (a => a.Add(FileEntry(a.Outside("abs.txt"), "pwned"), File(a.Outside("abs.txt"), "pwned")), ArchiveFormat.TarZst, "is an absolute path"),
        ["hard link to an absolute path"] = (a => a.WithMembers(m => m.Insert(0, Hard("share/evil", a.Outside("secret.txt")))), ArchiveFormat.Tar, "hard link 'share/evil' points to"),
        ["hard link climbing out"] = (a => a.WithMembers(m => m.Insert(0, Hard("share/evil", "../../outside/secret.txt"))), ArchiveFormat.TarZst, "'../../outside/secret.txt', which has a '..' component"),
        ["manifest hard link outside the archive"] = (a => a.Add(new ManifestEntry { Path = "share/evil", Type = EntryType.Hardlink, Mode = 420, MtimeNs = 0, Target = "/etc/passwd" }, Hard("share/evil", "/etc/passwd")), ArchiveFormat.Tar, "must point to an earlier regular file in the archive, not '/etc/passwd'"),
        ["hard link before its target"] = (a => a.WithMembers(m => m.MoveToFront("share/doc/hard.txt")), ArchiveFormat.Tar, "which has not been extracted before it"),
        ["symlink outside then write through it"] = (a => a.Add(Link("lib/escape", a.Outside("")), Symlink("lib/escape", a.Outside("")), File("lib/escape/pwned", "pwned")), ArchiveFormat.Tar, "would be written through 'lib/escape', a symlink"),
        ["symlink climbing out then write through it"] = (a => a.Add(Link("lib/up", "../../outside"), Symlink("lib/up", "../../outside"), File("lib/up/pwned", "pwned")), ArchiveFormat.TarZst, "would be written through 'lib/up', a symlink"),
        ["symlink inside staging then write through it"] = (a => a.Add(Link("lib/alias", "../share/doc"), Symlink("lib/alias", "../share/doc"), File("lib/alias/new.txt", "pwned")), ArchiveFormat.Tar, "would be written through 'lib/alias', a symlink"),
        ["manifest entry below a symlink"] = (a => a.Add(Link("lib/escape", a.Outside("")), Symlink("lib/escape", a.Outside(""))).Add(FileEntry("lib/escape/pwned", "pwned"), File("lib/escape/pwned", "pwned")), ArchiveFormat.Tar, "lies below 'lib/escape', which is a symlink"),
        ["symlink named .envship"] = (a => a.Add(Link(".envship", a.Outside("")), Symlink(".envship", a.Outside(""))), ArchiveFormat.Tar, "entry '.envship' takes a name reserved for what deploy itself writes"),
        ["character device"] = (a => a.WithMembers(m => m.Insert(0, new RawMember("share/null", TarEntryType.CharacterDevice, []) { DeviceMajor = 1, DeviceMinor = 3 })), ArchiveFormat.Tar, "is a character device node"),
        ["block device"] = (a => a.WithMembers(m => m.Insert(0, new RawMember("share/sda", TarEntryType.BlockDevice, []) { DeviceMajor = 8 })), ArchiveFormat.TarZst, "is a block device node"),
        ["fifo"] = (a => a.WithMembers(m => m.Insert(0, new RawMember("share/pipe", TarEntryType.Fifo, []))), ArchiveFormat.Tar, "is a FIFO (named pipe)"),
        ["duplicate member"] = (a => a.WithMembers(m => m.Add(m.Single(x => x.Name == "share/doc/f02.txt"))), ArchiveFormat.Tar, "member 'share/doc/f02.txt' appears twice"),
        ["duplicate manifest entry"] = (a => a.WithManifest(m => m with { Entries = [.. m.Entries, m.Entries.Single(e => e.Path == "bin/tool")] }), ArchiveFormat.Tar, "entry 'bin/tool' appears twice"),
        ["member not in the manifest"] = (a => a.WithMembers(m => m.Add(File("share/extra.txt", "extra"))), ArchiveFormat.Tar, "member 'share/extra.txt' is not in the manifest"),
        ["member missing"] = (a => a.WithMembers(m => m.RemoveAll(x => x.Name == "share/doc/f05.txt")), ArchiveFormat.TarZst, "it ends before 'share/doc/f05.txt'"),
        ["type differs"] = (a => a.WithMembers(m => m.Replace("share/doc/f03.txt", x => Symlink(x.Name, "f01.txt"))), ArchiveFormat.Tar, "member 'share/doc/f03.txt' is a Symlink but the manifest says File"),
        ["entry bigger than declared"] = (a => a.WithMembers(m => m.Replace("share/doc/f04.txt", x => x with { Data = [.. x.Data, .. "more"u8] })), ArchiveFormat.Tar, "'share/doc/f04.txt' holds 524 bytes by its tar header but the manifest declares 520"),
        ["hash differs"] = (a => a.WithMembers(m => m.Replace("share/doc/f04.txt", x => x with { Data = [.. x.Data[..^1], (byte)'#'] })), ArchiveFormat.TarGz, "'share/doc/f04.txt' does not match the manifest"),
        ["symlink target differs"] = (a => a.WithMembers(m => m.Replace("lib/link.txt", x => x with { LinkName = "/etc/passwd" })), ArchiveFormat.Tar, "symlink 'lib/link.txt' points to '/etc/passwd' but the manifest says 'config.txt'"),
        ["hard link target differs"] = (a => a.WithMembers(m => m.Replace("share/doc/hard.txt", x => x with { LinkName = "share/doc/f02.txt" })), ArchiveFormat.Tar, "hard link 'share/doc/hard.txt' points to 'share/doc/f02.txt' but the manifest says 'share/doc/f01.txt'"),
        ["manifest lies about the total"] = (a => a.WithManifest(m => m with { Summary = m.Summary with { TotalBytes = m.Summary.TotalBytes - 1000 } }), ArchiveFormat.Tar, "the summary declares"),
        ["manifest declares a negative size"] = (a => a.WithManifest(m => m with { Entries = [.. m.Entries.Select(e => e.Path == "share/doc/f06.txt" ? e with { Size = -1 } : e)] }), ArchiveFormat.Tar, "declares a negative size"),
        ["manifest member too large"] = (a => a.Archive with { DeclaredManifestSize = 600L << 20 }, ArchiveFormat.TarZst, "a manifest is a regular file of at most 536870912 bytes"),
        ["manifest edited after signing"] = (a => EditAfterSigning(a, m => m with { SourcePrefix = "/somewhere/else" }), ArchiveFormat.Tar, "does not match its digest"),
        ["plain tar without manifest digest"] = (a => a.Archive with { SignManifest = false }, ArchiveFormat.Tar, "carries no manifest digest"),
        ["zstd bomb"] = (a => a.Archive with { TrailingZeros = 256L << 20 }, ArchiveFormat.TarZst, "the archive expands to more than"),
        ["gzip bomb"] = (a => a.Archive with { TrailingZeros = 256L << 20 }, ArchiveFormat.TarGz, "the archive expands to more than"),
        ["bomb in a pax header"] = (a => a.WithMembers(m => m.Insert(0, File("share/big.txt", "x") with { Attributes = new Dictionary<string, string> { ["comment"] = new('A', 40 << 20) } })), ArchiveFormat.TarZst, "has a pax header of 41943091 bytes; envship accepts at most 1048576"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_hostile_archive_is_refused_and_nothing_outside_staging_changes(string name)
    {
        var (build, format, expected) = CaseTable[name];
        var attack = new Attack(HostileArchiveBuilder.Read(env.Tar), env.Work.CreateDirectory("sandbox-" + Slug(name)));
        var archive = HostileArchiveBuilder.Write(env.Work.Combine(Slug(name) + Extension(format)), build(attack), format);

        AssertRefusedWithoutSideEffects(archive, attack.Sandbox, expected);
    }

    [Theory]
    [InlineData(ArchiveFormat.Tar, 0.6)]
    [InlineData(ArchiveFormat.TarZst, 0.6)]
    [InlineData(ArchiveFormat.TarGz, 0.3)]
    public void A_truncated_archive_is_refused_and_nothing_outside_staging_changes(ArchiveFormat format, double keep)
    {
        var bytes = System.IO.File.ReadAllBytes(env.Archive(format));
        var archive = env.Work.Combine($"truncated-{keep}{Extension(format)}");
        System.IO.File.WriteAllBytes(archive, bytes[..(int)(bytes.Length * keep)]);
        var sandbox = env.Work.CreateDirectory($"sandbox-truncated-{format}");
        Directory.CreateDirectory(Path.Combine(sandbox, "outside"));

        AssertRefusedWithoutSideEffects(archive, sandbox, "truncated");
    }

    /// <summary>The policy: a declared symlink may point anywhere; it is created as a link, reported, and nothing goes through it.</summary>
    [Theory]
    [InlineData("lib/up", "../../outside")]
    [InlineData("lib/abs", "/usr/lib")]
    public void A_declared_symlink_leaving_the_prefix_is_kept_and_reported(string link, string target)
    {
        var attack = new Attack(HostileArchiveBuilder.Read(env.Tar), env.Work.CreateDirectory("sandbox-policy-" + Path.GetFileName(link)));
        var archive = HostileArchiveBuilder.Write(env.Work.Combine($"policy-{Path.GetFileName(link)}.tar.zst"), attack.Add(Link(link, target), Symlink(link, target)), ArchiveFormat.TarZst);
        var destination = Path.Combine(attack.Sandbox, "dest-parent", "env");
        var outsideBefore = TreeSnapshot.Take(Path.Combine(attack.Sandbox, "outside"));

        var result = CliRunner.RunOk("deploy", archive, "--prefix", destination);

        Assert.Contains($"{link}: symlink to '{target}' leaves the environment", result.StdErr, StringComparison.Ordinal);
        Assert.Equal(target, new FileInfo(Path.Combine(destination, link)).LinkTarget);
        Assert.Equal(outsideBefore, TreeSnapshot.Take(Path.Combine(attack.Sandbox, "outside")));
    }

    /// <summary>Deploy writes bin/activate and bin/deactivate itself; never through a declared symlink, dangling or not.</summary>
    [Theory]
    [InlineData("bin")]
    [InlineData("bin/activate")]
    public void Activation_scripts_are_never_written_through_a_declared_symlink(string link)
    {
        var attack = new Attack(HostileArchiveBuilder.Read(env.Tar), env.Work.CreateDirectory("sandbox-activate-" + Path.GetFileName(link)));
        var target = link == "bin" ? attack.Outside("") : attack.Outside("activate");
        if (link == "bin")
        {
            attack.WithManifest(m => m with
            {
                Entries = [.. m.Entries.Where(e => e.Path != "bin" && !e.Path.StartsWith("bin/", StringComparison.Ordinal))],
                Summary = m.Summary with { TotalBytes = m.Entries.Where(e => e.Type == EntryType.File && !e.Path.StartsWith("bin/", StringComparison.Ordinal)).Sum(e => e.Size) },
            });
            attack.WithMembers(m => m.RemoveAll(x => x.Name.StartsWith("bin/", StringComparison.Ordinal)));
        }

        var archive = HostileArchiveBuilder.Write(env.Work.Combine($"activate-{Path.GetFileName(link)}.tar"), attack.Add(Link(link, target), Symlink(link, target)), ArchiveFormat.Tar);
        var destination = Path.Combine(attack.Sandbox, "dest-parent", "env");
        var outsideBefore = TreeSnapshot.Take(Path.Combine(attack.Sandbox, "outside"));

        CliRunner.RunOk("deploy", archive, "--prefix", destination, "-q");

        Assert.Equal(target, new FileInfo(Path.Combine(destination, link)).LinkTarget);
        Assert.Equal(outsideBefore, TreeSnapshot.Take(Path.Combine(attack.Sandbox, "outside")));
    }

    private static void AssertRefusedWithoutSideEffects(string archive, string sandbox, string expected)
    {
        var parent = Directory.CreateDirectory(Path.Combine(sandbox, "dest-parent")).FullName;
        var destination = Path.Combine(parent, "env");
        var before = Snapshot(sandbox);

        var result = CliRunner.Run("deploy", archive, "--prefix", destination, "-q");

        Assert.True(result.ExitCode == (int)ExitCode.DamagedArchive, $"exit {result.ExitCode}, expected 6:\n{result.All}");
        Assert.Contains(archive, result.StdErr, StringComparison.Ordinal);
        Assert.True(result.StdErr.Contains(expected, StringComparison.Ordinal), $"expected '{expected}' in:\n{result.StdErr}");
        Assert.False(Directory.Exists(destination) || System.IO.File.Exists(destination), "DEST must not exist after a refusal");
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
        Assert.Equal(before, Snapshot(sandbox));
    }

    /// <summary>The sandbox's tree. DEST's parent is the one directory whose mtime may change: the staging directory came and went in it.</summary>
    private static Dictionary<string, TreeEntry> Snapshot(string sandbox)
    {
        var tree = TreeSnapshot.Take(sandbox);
        tree["dest-parent"] = tree["dest-parent"] with { MtimeNs = 0 };
        return tree;
    }

    private static HostileArchive EditAfterSigning(Attack attack, Func<Manifest, Manifest> edit)
    {
        var signed = ManifestJson.Serialize(attack.Archive.Manifest);
        return attack.WithManifest(edit) with { SignedManifest = signed };
    }

    private static string Slug(string name) => name.Replace(' ', '-').Replace("..", "dotdot", StringComparison.Ordinal);

    private static string Extension(ArchiveFormat format) => format switch
    {
        ArchiveFormat.TarZst => ".tar.zst",
        ArchiveFormat.TarGz => ".tar.gz",
        _ => ".tar",
    };

    private static RawMember File(string name, string content) => new(name, TarEntryType.RegularFile, Encoding.UTF8.GetBytes(content));

    private static RawMember Hard(string name, string target) => new(name, TarEntryType.HardLink, [], target);

    private static RawMember Symlink(string name, string target) => new(name, TarEntryType.SymbolicLink, [], target) { Mode = (UnixFileMode)0b111_111_111 };

    private static ManifestEntry FileEntry(string path, string content) => new()
    {
        Path = path,
        Type = EntryType.File,
        Mode = 420,
        MtimeNs = 0,
        Size = Encoding.UTF8.GetByteCount(content),
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))),
    };

    private static ManifestEntry Link(string path, string target) => new() { Path = path, Type = EntryType.Symlink, Mode = 511, MtimeNs = 0, Target = target };

    /// <summary>A valid archive being turned hostile, and the sandbox whose <c>outside/</c> directory it aims at.</summary>
    public sealed class Attack
    {
        public Attack(HostileArchive archive, string sandbox)
        {
            Archive = archive;
            Sandbox = sandbox;
            Directory.CreateDirectory(Path.Combine(sandbox, "outside"));
            System.IO.File.WriteAllText(Path.Combine(sandbox, Secret), "do not touch");
        }

        public HostileArchive Archive { get; private set; }
        public string Sandbox { get; }

        public string Outside(string name) => Path.Combine(Sandbox, "outside", name).TrimEnd('/');

        public HostileArchive WithMembers(Action<List<RawMember>> edit)
        {
            var members = Archive.Members.ToList();
            edit(members);
            return Archive = Archive with { Members = members };
        }

        public HostileArchive WithManifest(Func<Manifest, Manifest> edit) => Archive = Archive with { Manifest = edit(Archive.Manifest) };

        /// <summary>Declares <paramref name="entry"/> in the manifest (keeping its total honest) and appends the members.</summary>
        public Attack Add(ManifestEntry entry, params RawMember[] members)
        {
            WithManifest(m => m with
            {
                Entries = [.. m.Entries, entry],
                Summary = m.Summary with { TotalBytes = m.Summary.TotalBytes + (entry.Type == EntryType.File ? entry.Size : 0) },
            });
            WithMembers(m => m.AddRange(members));
            return this;
        }

        public static implicit operator HostileArchive(Attack attack) => attack.Archive;
    }
}

internal static class MemberListExtensions
{
    public static void MoveToFront(this List<RawMember> members, string name)
    {
        var member = members.Single(m => m.Name == name);
        members.Remove(member);
        members.Insert(0, member);
    }

    public static void Replace(this List<RawMember> members, string name, Func<RawMember, RawMember> edit)
    {
        var index = members.FindIndex(m => m.Name == name);
        members[index] = edit(members[index]);
    }
}
