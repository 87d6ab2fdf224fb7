using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using Envship.Testing;
using Xunit.Abstractions;

namespace Envship.Core.Tests.Fixtures;

[SupportedOSPlatform("linux")]
public sealed class CondaPrefixBuilderTests(FullPrefixFixture fixture, ITestOutputHelper output) : IClassFixture<FullPrefixFixture>
{
    private static readonly string[] _recordKeys =
    [
        "build", "build_number", "channel", "depends", "extracted_package_dir", "files", "fn", "link", "md5",
        "name", "package_tarball_full_path", "paths_data", "requested_spec", "sha256", "size", "subdir",
        "timestamp", "url", "version",
    ];

    private string Prefix => fixture.Prefix;

    [Fact]
    public void Reports_build_time()
    {
        output.WriteLine($"Full prefix with python built in {fixture.BuildTime.TotalSeconds:F1} s");
        Assert.True(fixture.BuildTime > TimeSpan.Zero);
    }

    [Fact]
    public void Every_record_parses_and_names_files_that_exist()
    {
        var records = Directory.GetFiles(Path.Combine(Prefix, "conda-meta"), "*.json");
        var names = records.Select(Path.GetFileName).ToHashSet();
        Assert.Contains($"python-{fixture.Built.Python!.FullVersion}-h_envship_test_0.json", names);
        Assert.Contains("zlib-1.2.11-h7b6447c_3.json", names);
        Assert.Contains("greeter-1.0-0.json", names);
        Assert.Contains("cph_test_data-0.0.1-0.json", names);
        Assert.Contains("sample_noarch_python-1.0-py_0.json", names);

        foreach (var record in records)
        {
            using var json = JsonDocument.Parse(File.ReadAllText(record));
            var root = json.RootElement;
            foreach (var key in _recordKeys)
                Assert.True(root.TryGetProperty(key, out _), $"{record} lacks '{key}'");
            Assert.Equal(1, root.GetProperty("paths_data").GetProperty("paths_version").GetInt32());
            Assert.Equal(1, root.GetProperty("link").GetProperty("type").GetInt32());
            Assert.StartsWith("https://conda.anaconda.org/conda-forge/", root.GetProperty("channel").GetString(), StringComparison.Ordinal);
            var files = root.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToList();
            Assert.NotEmpty(files);
            foreach (var file in files)
                Assert.True(EntryExists(Path.Combine(Prefix, file)), $"{Path.GetFileName(record)} names missing {file}");
        }
    }

    [Fact]
    public void Package_records_point_into_the_cache()
    {
        var record = ReadRecord("zlib-1.2.11-h7b6447c_3.json");
        var cache = fixture.Built.PkgsCacheDirectory;
        Assert.Equal(Path.Combine(cache, "zlib-1.2.11-h7b6447c_3.conda"), record.GetProperty("package_tarball_full_path").GetString());
        Assert.True(Directory.Exists(record.GetProperty("extracted_package_dir").GetString()));
        Assert.Equal("https://conda.anaconda.org/conda-forge/linux-64/zlib-1.2.11-h7b6447c_3.conda", record.GetProperty("url").GetString());
        Assert.Equal("zlib", record.GetProperty("license").GetString());
        Assert.Equal(64, record.GetProperty("sha256").GetString()!.Length);
        Assert.Contains("https://conda.anaconda.org/conda-forge/linux-64/zlib-1.2.11-h7b6447c_3.conda",
            File.ReadAllLines(Path.Combine(cache, "urls.txt")));
    }

    [Fact]
    public void Placeholders_are_replaced_by_the_prefix()
    {
        var checkedFiles = 0;
        foreach (var recordFile in Directory.GetFiles(Path.Combine(Prefix, "conda-meta"), "*.json"))
        {
            var record = JsonDocument.Parse(File.ReadAllText(recordFile)).RootElement;
            foreach (var entry in record.GetProperty("paths_data").GetProperty("paths").EnumerateArray())
            {
                if (!entry.TryGetProperty("prefix_placeholder", out var placeholder))
                    continue;
                var file = Path.Combine(Prefix, entry.GetProperty("_path").GetString()!);
                var bytes = File.ReadAllBytes(file);
                Assert.False(Contains(bytes, placeholder.GetString()!), $"{file} still holds its placeholder");
                Assert.True(Contains(bytes, Prefix), $"{file} does not name the prefix");
                Assert.Equal(Sha256(bytes), entry.GetProperty("sha256_in_prefix").GetString());
                if (entry.GetProperty("file_mode").GetString() == "binary")
                    Assert.Equal(entry.GetProperty("size_in_bytes").GetInt64(), bytes.LongLength);
                checkedFiles++;
            }
        }

        Assert.True(checkedFiles >= 4, $"expected zlib.pc, greeter, libgreet.so and greeter.conf, got {checkedFiles}");
        Assert.Contains($"prefix={Prefix}\n", File.ReadAllText(Path.Combine(Prefix, "lib/pkgconfig/zlib.pc")), StringComparison.Ordinal);
    }

    [Fact]
    public void Copied_python_runs_from_the_prefix()
    {
        var python = fixture.Built.Python!;
        var result = ProcessRunner.RunChecked(Path.Combine(Prefix, python.ExecutableRelativePath),
            ["-c", "import json, os; print(os.__file__)"], environment: PythonInstaller.CleanEnvironment());
        Assert.StartsWith(Prefix + "/lib/python" + python.Version + "/", result.StdOut.Trim(), StringComparison.Ordinal);

        var hello = ProcessRunner.RunChecked(Path.Combine(Prefix, "bin/hello-env"), [], environment: PythonInstaller.CleanEnvironment());
        var lines = hello.StdOut.Split('\n');
        Assert.Equal(Prefix, lines[0]);
        Assert.StartsWith(Prefix + "/bin/python", lines[1], StringComparison.Ordinal);
        Assert.Contains("\"decimal\": \"3.30\"", lines[2], StringComparison.Ordinal);

        var greet = ProcessRunner.RunChecked(Path.Combine(Prefix, "bin/greet"), [], environment: PythonInstaller.CleanEnvironment());
        Assert.Equal("hello from greeting\n", greet.StdOut);
        Assert.StartsWith($"#!{Prefix}/bin/python{python.Version}\n", File.ReadAllText(Path.Combine(Prefix, "bin/greet")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Prefix, python.SitePackagesRelativePath, "greeting-1.0.dist-info", "RECORD")));
        Assert.False(Directory.Exists(Path.Combine(Prefix, "lib", "python" + python.Version, "test")));
    }

    [Fact]
    public void Copied_python_has_its_runpath_in_the_prefix()
    {
        var python = fixture.Built.Python!;
        var readelf = ProcessRunner.RunChecked("readelf", ["-d", Path.Combine(Prefix, python.ExecutableRelativePath)]).StdOut;
        Assert.Contains($"Library runpath: [{Prefix}/lib]", readelf, StringComparison.Ordinal);
        if (python.LibPythonRelativePath is { } libPython)
        {
            var dynamic = ElfTools.ReadDynamic(Path.Combine(Prefix, libPython));
            Assert.True(dynamic.RunPath is null || dynamic.RunPath == Prefix + "/lib", dynamic.RunPath);
        }
    }

    [Fact]
    public void Noarch_python_package_lands_in_site_packages()
    {
        var python = fixture.Built.Python!;
        Assert.True(File.Exists(Path.Combine(Prefix, python.SitePackagesRelativePath, "sample.py")));
        var record = ReadRecord("sample_noarch_python-1.0-py_0.json");
        Assert.Equal("noarch_python", record.GetProperty("package_type").GetString());
        Assert.Contains(record.GetProperty("files").EnumerateArray(), f => f.GetString()!.EndsWith(".pyc", StringComparison.Ordinal));
    }

    [Fact]
    public void Greeter_prints_the_prefix_and_has_nul_room()
    {
        var greeter = fixture.Built.Greeter!;
        var run = ProcessRunner.RunChecked(Path.Combine(Prefix, "bin/greeter"), []);
        Assert.Equal($"{ElfProgramBuilder.GreetMessage}\n{Prefix}/share/greeter\n", run.StdOut);
        Assert.Equal(Prefix + "/lib", ElfTools.ReadDynamic(Path.Combine(Prefix, greeter.ExecutableRelativePath)).RunPath);

        var bytes = File.ReadAllBytes(Path.Combine(Prefix, "bin/greeter"));
        var at = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Prefix + "/share/greeter\0"));
        Assert.True(at >= 0);
        var room = ElfProgramBuilder.PlaceholderLength - Prefix.Length;
        var after = bytes.AsSpan(at + Prefix.Length + "/share/greeter".Length, room);
        Assert.True(after.IndexOfAnyExcept((byte)0) < 0, "expected NUL padding after the relocated string");

        var paths = ReadRecord("greeter-1.0-0.json").GetProperty("paths_data").GetProperty("paths").EnumerateArray().ToList();
        var binary = paths.Where(p => p.TryGetProperty("file_mode", out var m) && m.GetString() == "binary")
            .Select(p => p.GetProperty("_path").GetString()).ToList();
        Assert.Contains("bin/greeter", binary);
        Assert.Contains("lib/libgreet.so", binary);
    }

    [Fact]
    public void Tight_program_names_the_prefix_without_a_record()
    {
        var run = ProcessRunner.RunChecked(Path.Combine(Prefix, "bin/tight"), []);
        Assert.Equal($"{ElfProgramBuilder.TightMessage}\n{Prefix}/share/tight\n", run.StdOut);
        Assert.Contains($"libtight.so => {Prefix}/lib/libtight.so", ProcessRunner.RunChecked("ldd", [Path.Combine(Prefix, "bin/tight")]).StdOut, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(Prefix, "conda-meta"), "tight*"));
    }

    [Fact]
    public void File_variety_is_in_place()
    {
        Assert.Contains(Prefix, File.ReadAllText(Path.Combine(Prefix, CondaPrefixBuilder.ExampleConf)), StringComparison.Ordinal);
        Assert.Equal(Prefix + "/lib/libgreet.so", new FileInfo(Path.Combine(Prefix, fixture.Built.AbsoluteLinkRelativePath)).LinkTarget);
        Assert.Equal("../etc/example.conf", new FileInfo(Path.Combine(Prefix, CondaPrefixBuilder.RelativeLink)).LinkTarget);
        Assert.Equal("/usr/lib", new FileInfo(Path.Combine(Prefix, CondaPrefixBuilder.OutsideLink)).LinkTarget);
        Assert.Equal(Inode(CondaPrefixBuilder.HardLinkA), Inode(CondaPrefixBuilder.HardLinkB));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead,
            File.GetUnixFileMode(Path.Combine(Prefix, CondaPrefixBuilder.PrivateFile)));
        Assert.Equal(CondaPrefixBuilder.OldFileTime, File.GetLastWriteTimeUtc(Path.Combine(Prefix, CondaPrefixBuilder.OldFile)));
        Assert.Equal("libz.so.1.2.11", new FileInfo(Path.Combine(Prefix, "lib/libz.so")).LinkTarget);
        Assert.Equal("libdangle.lib.1", new FileInfo(Path.Combine(Prefix, "lib/libdangle.lib")).LinkTarget);
    }

    [Fact]
    public void History_lists_every_package()
    {
        var history = File.ReadAllLines(Path.Combine(Prefix, "conda-meta", "history"));
        Assert.Equal("==> 2026-01-01 00:00:00 <==", history[0]);
        Assert.StartsWith("# cmd: ", history[1], StringComparison.Ordinal);
        Assert.Contains("+conda-forge/linux-64::zlib-1.2.11-h7b6447c_3", history);
        Assert.Contains("+conda-forge/noarch::cph_test_data-0.0.1-0", history);
        Assert.Contains("+conda-forge/linux-64::greeter-1.0-0", history);
        Assert.Contains($"+conda-forge/linux-64::python-{fixture.Built.Python!.FullVersion}-h_envship_test_0", history);
    }

    private JsonElement ReadRecord(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Prefix, "conda-meta", name))).RootElement;

    private string Inode(string relative) =>
        ProcessRunner.RunChecked("stat", ["-c", "%i", Path.Combine(Prefix, relative)]).StdOut.Trim();

    private static bool EntryExists(string path) =>
        File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;

    private static bool Contains(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;

    private static string Sha256(byte[] bytes) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
}
