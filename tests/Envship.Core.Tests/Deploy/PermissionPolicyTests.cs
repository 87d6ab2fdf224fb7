using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Tests.Deploy;

public sealed class PermissionPolicyTests
{
    private static readonly PermissionPolicy Shared = new() { Shared = true, GroupId = 1234 };

    [Theory]
    [InlineData("bin/tool", EntryType.File, "4755", "755")]
    [InlineData("bin/tool", EntryType.File, "2711", "711")]
    [InlineData("lib", EntryType.Directory, "2755", "755")]
    [InlineData("tmp", EntryType.Directory, "1777", "775")]
    [InlineData("etc/x.conf", EntryType.File, "600", "600")]
    [InlineData("etc/open.conf", EntryType.File, "666", "664")]
    [InlineData("share/open", EntryType.Directory, "777", "775")]
    [InlineData("share/sticky", EntryType.Directory, "1755", "755")]
    [InlineData("bin/all", EntryType.File, "7777", "775")]
    public void By_default_modes_are_kept_but_setuid_setgid_sticky_and_other_write_are_dropped(string path, EntryType type, string mode, string expected) =>
        Assert.Equal(Octal(expected), PermissionPolicy.Default.Decide(Entry(path, type, mode)).Mode);

    [Theory]
    [InlineData("bin/tool", EntryType.File, "4755", "4755")]
    [InlineData("lib", EntryType.Directory, "2755", "2755")]
    [InlineData("tmp", EntryType.Directory, "1777", "1777")]
    [InlineData("etc/open.conf", EntryType.File, "666", "666")]
    public void Preserve_special_bits_keeps_them(string path, EntryType type, string mode, string expected) =>
        Assert.Equal(Octal(expected), (PermissionPolicy.Default with { PreserveSpecialBits = true }).Decide(Entry(path, type, mode)).Mode);

    [Theory]
    [InlineData("etc/x.conf", EntryType.File, "600", "640")]
    [InlineData("bin/script", EntryType.File, "700", "750")]
    [InlineData("bin/suid", EntryType.File, "4700", "750")]
    [InlineData("lib/libz.a", EntryType.File, "664", "664")]
    [InlineData("lib", EntryType.Directory, "700", "750")]
    [InlineData("envs", EntryType.Directory, "755", "2775")]
    [InlineData("pkgs", EntryType.Directory, "700", "2770")]
    [InlineData("envs/a", EntryType.Directory, "755", "755")]
    [InlineData(".condarc", EntryType.File, "644", "644")]
    [InlineData("pkgs/urls.txt", EntryType.File, "644", "644")]
    [InlineData("share/open", EntryType.Directory, "1777", "775")]
    public void Shared_adds_group_read_execute_and_writable_setgid_envs_and_pkgs(string path, EntryType type, string mode, string expected)
    {
        var decided = Shared.Decide(Entry(path, type, mode));

        Assert.Equal(Octal(expected), decided.Mode);
        Assert.Equal(1234, decided.GroupId);
    }

    [Fact]
    public void The_root_and_the_receipt_manifest_follow_the_same_rules()
    {
        var manifest = new Manifest
        {
            EnvshipVersion = "0",
            SourcePrefix = "/p",
            Platform = new ManifestPlatform("linux-64", "linux", "x86_64"),
            Created = DateTimeOffset.UnixEpoch,
            Root = new ManifestRoot(Octal("700"), 0),
            Environments = [],
            Summary = new ManifestSummary(),
            Entries = [Entry("envs", EntryType.Directory, "755"), Entry("bin/x", EntryType.File, "4755"), Entry("lnk", EntryType.Symlink, "777")],
        };

        var applied = Shared.Apply(manifest);

        Assert.Equal(Octal("750"), applied.Root.Mode);
        Assert.Equal([Octal("2775"), Octal("755"), Octal("777")], applied.Entries.Select(e => e.Mode));
        Assert.Equal(PermissionPolicy.NoGroup, PermissionPolicy.Default.Decide(Entry("x", EntryType.File, "644")).GroupId);
    }

    private static ManifestEntry Entry(string path, EntryType type, string mode) => new() { Path = path, Type = type, Mode = Octal(mode), MtimeNs = 0 };

    private static int Octal(string digits) => Convert.ToInt32(digits, 8);
}
