using Envship.Core;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>A whole installation, with <c>pkgs/</c>, a setuid program and owner-only files, packed once.</summary>
public sealed class SharedInstallSource : IDisposable
{
    public SharedInstallSource()
    {
        var root = Work.Combine("opt", "miniconda3");
        WholeInstallBuilder.Build(root);
        var tool = Path.Combine(root, "bin", "suid-tool");
        File.Copy("/bin/true", tool);
        File.SetUnixFileMode(tool, (UnixFileMode)Convert.ToInt32("4755", 8));
        var secret = Path.Combine(root, "etc", "owner-only.conf");
        File.WriteAllText(secret, "token=1\n");
        File.SetUnixFileMode(secret, (UnixFileMode)Convert.ToInt32("600", 8));
        var script = Path.Combine(root, "bin", "owner-only-script");
        File.WriteAllText(script, "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(script, (UnixFileMode)Convert.ToInt32("700", 8));
        File.WriteAllText(Path.Combine(root, ".condarc"), "channels: [conda-forge]\n");
        Archive = Work.Combine("miniconda3.tar.zst");
        CliRunner.RunOk("pack", "-p", root, "-o", Archive, "--keep-pkgs", "-q");
    }

    public TempDirectory Work { get; } = new("envship-shared-");
    public string Archive { get; }

    public void Dispose() => Work.Dispose();
}

/// <summary>Acceptance 6: --shared --group G gives the expected modes, group and setgid bits; setuid bits are dropped by default.</summary>
public sealed class SharedInstallTests(SharedInstallSource source) : IClassFixture<SharedInstallSource>, IDisposable
{
    private const int SetUserId = 0x800;
    private const int SetGroupId = 0x400;
    private readonly TestGroup _group = new();

    [Fact]
    public void Shared_with_a_group_sets_group_modes_and_setgid_on_envs_and_pkgs()
    {
        var destination = source.Work.Combine("srv", "shared-conda");
        CliRunner.RunOk("deploy", source.Archive, "--prefix", destination, "--shared", "--group", _group.Name, "-q");

        var items = Ownership.List(destination);
        Assert.True(items.Count > 50, $"only {items.Count} entries");
        Assert.All(items, i => Assert.True(i.GroupId == _group.Id, $"{i.Path}: group {i.GroupId}, expected {_group.Id} ({_group.Name})"));
        foreach (var item in items.Where(i => i.Type == "d"))
        {
            Assert.True((item.Mode & Octal("050")) == Octal("050"), $"{item.Path}: directory mode {Convert.ToString(item.Mode, 8)} lacks g+rx");
        }

        foreach (var item in items.Where(i => i.Type == "f"))
        {
            Assert.True((item.Mode & Octal("040")) != 0, $"{item.Path}: mode {Convert.ToString(item.Mode, 8)} lacks g+r");
            Assert.Equal((item.Mode & Octal("100")) != 0, (item.Mode & Octal("010")) != 0);
        }

        foreach (var name in new[] { "envs", "pkgs" })
        {
            var mode = items.Single(i => i.Path == name).Mode;
            Assert.True((mode & (SetGroupId | Octal("070"))) == (SetGroupId | Octal("070")), $"{name}: mode {Convert.ToString(mode, 8)}, expected g+rwxs");
        }

        Assert.Equal(Octal("755"), items.Single(i => i.Path == "bin/suid-tool").Mode);
        Assert.Equal(Octal("640"), items.Single(i => i.Path == "etc/owner-only.conf").Mode);
        Assert.Equal(Octal("750"), items.Single(i => i.Path == "bin/owner-only-script").Mode);
        Assert.Equal(0, items.Single(i => i.Path == ".condarc").Mode & Octal("022"));
        Assert.Equal(0, items.Single(i => i.Path == "").Mode & Octal("020"));

        // setgid on envs/ is what makes a new environment, created by any member, inherit the group.
        var newEnv = Directory.CreateDirectory(Path.Combine(destination, "envs", "made-later")).FullName;
        var created = Ownership.List(destination).Single(i => i.Path == "envs/made-later");
        Assert.Equal(_group.Id, created.GroupId);
        Assert.NotEqual(0, created.Mode & SetGroupId);
        Directory.Delete(newEnv);

        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
    }

    [Fact]
    public void Setuid_bits_are_dropped_by_default_and_kept_with_preserve_special_bits()
    {
        var dropped = source.Work.Combine("plain", "conda");
        CliRunner.RunOk("deploy", source.Archive, "--prefix", dropped, "-q");
        Assert.Equal(Octal("755"), ModeOf(dropped, "bin/suid-tool"));
        Assert.DoesNotContain(Ownership.List(dropped), i => (i.Mode & (SetUserId | SetGroupId)) != 0);

        var kept = source.Work.Combine("special", "conda");
        CliRunner.RunOk("deploy", source.Archive, "--prefix", kept, "--preserve-special-bits", "--group", _group.Name, "-q");
        Assert.Equal(Octal("4755"), ModeOf(kept, "bin/suid-tool"));
        Assert.Equal(0, CliRunner.Run("verify", kept).ExitCode);
    }

    [Fact]
    public void An_unknown_group_is_refused_before_writing()
    {
        var parent = source.Work.CreateDirectory("no-group");
        var result = CliRunner.Run("deploy", source.Archive, "--prefix", Path.Combine(parent, "conda"), "--shared", "--group", "no-such-group-envship");

        Assert.Equal((int)ExitCode.Usage, result.ExitCode);
        Assert.Contains("no-such-group-envship", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("groupadd", result.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    public void Dispose() => _group.Dispose();

    private static int ModeOf(string root, string path) => Ownership.List(root).Single(i => i.Path == path).Mode;

    private static int Octal(string digits) => Convert.ToInt32(digits, 8);
}
