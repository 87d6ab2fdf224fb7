using Envship.Cli.Tests.Fixtures;
using Envship.Core;

namespace Envship.Cli.Tests;

/// <summary>Acceptance 8: editable installs and missing conda-managed files stop a pack unless overridden.</summary>
public sealed class PackRefusalTests(SmallEnvironment env) : IClassFixture<SmallEnvironment>
{
    [Fact]
    public void An_editable_install_names_the_package_and_the_flag_overrides_it()
    {
        var prefix = env.Build(env.Work.Combine("editable", "env")).Prefix;
        var distInfo = Path.Combine(prefix, "lib/python3.11/site-packages/mylib-0.1.dist-info");
        Directory.CreateDirectory(distInfo);
        File.WriteAllText(Path.Combine(distInfo, "METADATA"), "Metadata-Version: 2.1\nName: mylib\nVersion: 0.1\n\n");
        File.WriteAllText(Path.Combine(distInfo, "INSTALLER"), "pip\n");
        File.WriteAllText(Path.Combine(distInfo, "direct_url.json"), """{"url": "file:///home/me/src/mylib", "dir_info": {"editable": true}}""");

        var refused = CliRunner.Run("pack", "-p", prefix, "-o", env.Work.Combine("editable.tar.zst"));
        Assert.Equal((int)ExitCode.InvalidEnvironment, refused.ExitCode);
        Assert.Contains("mylib", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains("--ignore-editable-packages", refused.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(env.Work.Combine("editable.tar.zst")));

        var allowed = CliRunner.Run("pack", "-p", prefix, "-o", env.Work.Combine("editable.tar.zst"), "--ignore-editable-packages");
        Assert.Equal(0, allowed.ExitCode);
        Assert.Contains("mylib", allowed.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_conda_managed_files_are_listed_and_the_flag_overrides_it()
    {
        var prefix = env.Build(env.Work.Combine("missing", "env")).Prefix;
        File.Delete(Path.Combine(prefix, "lib/libz.so.1.2.11"));
        File.Delete(Path.Combine(prefix, "include/zlib.h"));

        var refused = CliRunner.Run("pack", "-p", prefix, "-o", env.Work.Combine("missing.tar.zst"));
        Assert.Equal((int)ExitCode.InvalidEnvironment, refused.ExitCode);
        Assert.Contains("2 file(s) listed in conda-meta are missing", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains("lib/libz.so.1.2.11", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains("include/zlib.h", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains("--ignore-missing-files", refused.StdErr, StringComparison.Ordinal);

        CliRunner.RunOk("pack", "-p", prefix, "-o", env.Work.Combine("missing.tar.zst"), "--ignore-missing-files", "-q");
    }

    [Fact]
    public void Missing_bytecode_caches_are_only_warned_about_with_their_count_and_examples()
    {
        var prefix = env.Build(env.Work.Combine("pycache", "env")).Prefix;
        var caches = Enumerable.Range(0, 5).Select(i => $"lib/python3.11/site-packages/pkg/__pycache__/m{i}.cpython-311.pyc").ToList();
        File.WriteAllText(Path.Combine(prefix, "lib", "python3.11-pkg.py"), "x = 1\n");
        File.WriteAllText(
            Path.Combine(prefix, "conda-meta", "pkg-1.0-py_0.json"),
            $$"""{"name": "pkg", "version": "1.0", "build": "py_0", "files": ["lib/python3.11-pkg.py", {{string.Join(", ", caches.Select(c => $"\"{c}\""))}}]}""");

        var packed = CliRunner.Run("pack", "-p", prefix, "-o", env.Work.Combine("pycache.tar.zst"));

        Assert.True(packed.ExitCode == 0, packed.All);
        Assert.Contains("5 Python bytecode cache file(s) listed in conda-meta are missing (for example ", packed.StdErr, StringComparison.Ordinal);
        Assert.Contains(caches[0], packed.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain(caches[4], packed.StdErr, StringComparison.Ordinal);

        // Any other missing file still stops the pack, and the message does not count the caches.
        File.Delete(Path.Combine(prefix, "lib", "python3.11-pkg.py"));
        var refused = CliRunner.Run("pack", "-p", prefix, "-o", env.Work.Combine("pycache-refused.tar.zst"));
        Assert.Equal((int)ExitCode.InvalidEnvironment, refused.ExitCode);
        Assert.Contains("1 file(s) listed in conda-meta are missing", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains("lib/python3.11-pkg.py", refused.StdErr, StringComparison.Ordinal);
    }
}
