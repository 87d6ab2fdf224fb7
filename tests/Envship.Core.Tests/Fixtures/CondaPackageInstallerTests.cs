using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using Envship.Testing;

namespace Envship.Core.Tests.Fixtures;

[SupportedOSPlatform("linux")]
public sealed class CondaPackageInstallerTests : IDisposable
{
    private const string TextPlaceholder = "/opt/anaconda1anaconda2anaconda3";
    private readonly TempDirectory _temp = new();

    private string Prefix => _temp.Combine("prefix");
    private string Pkgs => _temp.Combine("pkgs");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Conda_format_zlib_gets_text_placeholder_replaced_and_a_record()
    {
        var package = CondaPackageInstaller.Install(RealPackage("linux-64/zlib-1.2.11-h7b6447c_3.conda"), Prefix, Pkgs);

        var pc = File.ReadAllText(Path.Combine(Prefix, "lib/pkgconfig/zlib.pc"));
        Assert.DoesNotContain(TextPlaceholder, pc, StringComparison.Ordinal);
        Assert.Contains($"prefix={Prefix}\n", pc, StringComparison.Ordinal);
        Assert.Equal("libz.so.1.2.11", new FileInfo(Path.Combine(Prefix, "lib/libz.so.1")).LinkTarget);
        Assert.Equal(133384, File.ReadAllBytes(Path.Combine(Prefix, "lib/libz.so")).Length);

        Assert.Equal(Path.Combine(Prefix, "conda-meta", "zlib-1.2.11-h7b6447c_3.json"), package.RecordPath);
        Assert.Contains("lib/pkgconfig/zlib.pc", package.Files);
        Assert.True(File.Exists(Path.Combine(Pkgs, "zlib-1.2.11-h7b6447c_3", "info", "repodata_record.json")));
        Assert.True(File.Exists(Path.Combine(Pkgs, "zlib-1.2.11-h7b6447c_3.conda")));

        var pcEntry = PathEntry(package.RecordPath, "lib/pkgconfig/zlib.pc");
        Assert.Equal("text", pcEntry.GetProperty("file_mode").GetString());
        Assert.Equal(TextPlaceholder, pcEntry.GetProperty("prefix_placeholder").GetString());
    }

    [Fact]
    public void Binary_placeholder_is_replaced_inside_c_strings_keeping_the_length()
    {
        var package = CondaPackageInstaller.Install(RealPackage("osx-64/zlib-1.2.11-h1de35cc_3.tar.bz2"), Prefix, Pkgs);

        var entry = PathEntry(package.RecordPath, "lib/libz.1.2.11.dylib");
        var placeholder = entry.GetProperty("prefix_placeholder").GetString()!;
        Assert.Equal(255, placeholder.Length);
        Assert.Equal("binary", entry.GetProperty("file_mode").GetString());

        var original = File.ReadAllBytes(Path.Combine(Pkgs, "zlib-1.2.11-h1de35cc_3", "lib/libz.1.2.11.dylib"));
        var installed = File.ReadAllBytes(Path.Combine(Prefix, "lib/libz.1.2.11.dylib"));
        Assert.Equal(original.Length, installed.Length);
        Assert.True(IndexOf(original, placeholder) >= 0);
        Assert.True(IndexOf(installed, placeholder) < 0);
        var at = IndexOf(installed, Prefix + "/lib");
        Assert.True(at >= 0, "the prefix should replace the placeholder");
        var tail = installed.AsSpan(at).IndexOf((byte)0);
        Assert.True(installed.AsSpan(at + tail, placeholder.Length - Prefix.Length).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void Legacy_has_prefix_is_used_when_paths_json_is_absent()
    {
        var legacy = RepackWithoutPathsJson(RealPackage("linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2"));
        var package = CondaPackageInstaller.Install(legacy, Prefix, Pkgs);

        var pc = File.ReadAllText(Path.Combine(Prefix, "lib/pkgconfig/zlib.pc"));
        Assert.Contains($"prefix={Prefix}\n", pc, StringComparison.Ordinal);
        Assert.Equal("text", PathEntry(package.RecordPath, "lib/pkgconfig/zlib.pc").GetProperty("file_mode").GetString());
        Assert.Contains("include/zlib.h", package.Files);
    }

    [Fact]
    public void Softlinks_including_dangling_and_directory_links_stay_links()
    {
        CondaPackageInstaller.Install(RealPackage("noarch/cph_test_data-0.0.1-0.tar.bz2"), Prefix, Pkgs);

        Assert.Equal("hello-1.0", new FileInfo(Path.Combine(Prefix, "bin/hello")).LinkTarget);
        Assert.Equal("alibrary", new FileInfo(Path.Combine(Prefix, "lib/alib")).LinkTarget);
        Assert.Equal("libdangle.lib.1", new FileInfo(Path.Combine(Prefix, "lib/libdangle.lib")).LinkTarget);
        Assert.Equal("../bin/hello", new FileInfo(Path.Combine(Prefix, "libexec/greetings")).LinkTarget);
        Assert.Equal(File.ReadAllText(Path.Combine(Prefix, "bin/hello-1.0")), File.ReadAllText(Path.Combine(Prefix, "libexec/greetings")));
        Assert.True((File.GetUnixFileMode(Path.Combine(Prefix, "bin/hello-1.0")) & UnixFileMode.UserExecute) != 0);
    }

    [Fact]
    public void Hard_linked_archive_members_stay_hard_linked_in_the_prefix()
    {
        var package = BuildHardLinkPackage();
        CondaPackageInstaller.Install(package, Prefix, Pkgs);

        Assert.Equal(Inode(Path.Combine(Prefix, "share/a.txt")), Inode(Path.Combine(Prefix, "share/b.txt")));
        Assert.NotEqual(Inode(Path.Combine(Pkgs, "hardlinks-1.0-0", "share/a.txt")), Inode(Path.Combine(Prefix, "share/a.txt")));
    }

    [Fact]
    public void Second_install_reuses_the_cache_and_keeps_urls_unique()
    {
        var zlib = RealPackage("linux-64/zlib-1.2.11-h7b6447c_3.conda");
        CondaPackageInstaller.Install(zlib, Prefix, Pkgs);
        var marker = Path.Combine(Pkgs, "zlib-1.2.11-h7b6447c_3", "info", "marker");
        File.WriteAllText(marker, "");
        var second = CondaPackageInstaller.Install(zlib, _temp.Combine("other"), Pkgs);

        Assert.True(File.Exists(marker), "the extracted package should have been reused");
        Assert.Equal(Path.Combine(Pkgs, "zlib-1.2.11-h7b6447c_3"), second.ExtractedPackageDir);
        Assert.Single(File.ReadAllLines(Path.Combine(Pkgs, "urls.txt")));
    }

    [Fact]
    public void Noarch_python_package_without_python_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            CondaPackageInstaller.Install(RealPackage("noarch/sample_noarch_python-1.0-py_0.conda"), Prefix, Pkgs));
        Assert.Contains("noarch: python", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binary_rule_pads_each_string_by_its_own_occurrences()
    {
        var data = Encoding.ASCII.GetBytes("xx/PLACEHOLDER/a:/PLACEHOLDER/b\0tail/PLACEHOLDER\0end");
        var rewritten = PlaceholderRewriter.Rewrite(data, "/PLACEHOLDER", "/p", PlaceholderMode.Binary);

        var expected = "xx/p/a:/p/b" + new string('\0', 20) + "\0tail/p" + new string('\0', 10) + "\0end";
        Assert.Equal(expected, Encoding.ASCII.GetString(rewritten));
        Assert.Throws<InvalidOperationException>(() =>
            PlaceholderRewriter.Rewrite(data, "/PLACEHOLDER", "/a-much-longer-prefix", PlaceholderMode.Binary));
    }

    private string RepackWithoutPathsJson(string tarBz2)
    {
        var work = _temp.Combine("repack");
        Directory.CreateDirectory(work);
        ProcessRunner.RunChecked("tar", ["-xjf", tarBz2, "-C", work, "--no-same-owner"]);
        File.Delete(Path.Combine(work, "info", "paths.json"));
        var output = _temp.Combine(Path.GetFileName(tarBz2));
        ProcessRunner.RunChecked("tar", ["-cjf", output, "-C", work, "."]);
        return output;
    }

    private string BuildHardLinkPackage()
    {
        var stage = _temp.Combine("hardlinks-stage");
        Directory.CreateDirectory(Path.Combine(stage, "info"));
        Directory.CreateDirectory(Path.Combine(stage, "share"));
        File.WriteAllText(Path.Combine(stage, "share", "a.txt"), "shared\n");
        ProcessRunner.RunChecked("ln", [Path.Combine(stage, "share", "a.txt"), Path.Combine(stage, "share", "b.txt")]);
        const string Sha = "f09c2a2a2dcf2a0ed1a8e4e1ebfaed8b4fb0b1bb0b5b95c4d0cb0c1e0e63ab0f";
        File.WriteAllText(Path.Combine(stage, "info", "index.json"),
            """{"name": "hardlinks", "version": "1.0", "build": "0", "build_number": 0, "subdir": "noarch", "depends": []}""");
        File.WriteAllText(Path.Combine(stage, "info", "paths.json"), $$"""
            {"paths": [
              {"_path": "share/a.txt", "path_type": "hardlink", "sha256": "{{Sha}}", "size_in_bytes": 7},
              {"_path": "share/b.txt", "path_type": "hardlink", "sha256": "{{Sha}}", "size_in_bytes": 7}
            ], "paths_version": 1}
            """);
        var output = _temp.Combine("hardlinks-1.0-0.tar.bz2");
        ProcessRunner.RunChecked("tar", ["-cjf", output, "-C", stage, "info", "share"]);
        return output;
    }

    private static string Inode(string path) =>
        ProcessRunner.RunChecked("stat", ["-c", "%d:%i", path]).StdOut.Trim();

    private static string RealPackage(string relative) => Path.Combine(FixturePaths.RealPackages, relative);

    private static JsonElement PathEntry(string recordPath, string path) =>
        JsonDocument.Parse(File.ReadAllText(recordPath)).RootElement
            .GetProperty("paths_data").GetProperty("paths").EnumerateArray()
            .Single(p => p.GetProperty("_path").GetString() == path);

    private static int IndexOf(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle));
}
