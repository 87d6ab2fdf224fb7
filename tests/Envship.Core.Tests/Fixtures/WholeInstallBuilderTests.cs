using System.Runtime.Versioning;
using System.Text.Json;
using Envship.Testing;

namespace Envship.Core.Tests.Fixtures;

/// <summary>One whole install (no python in base) shared by the tests below.</summary>
public sealed class WholeInstallFixture : IDisposable
{
    private readonly TempDirectory _temp = new("envship-whole-");

    [SupportedOSPlatform("linux")]
    public WholeInstallFixture()
    {
        Built = WholeInstallBuilder.Build(_temp.Combine("miniconda3"));
    }

    public BuiltWholeInstall Built { get; }

    public void Dispose() => _temp.Dispose();
}

[SupportedOSPlatform("linux")]
public sealed class WholeInstallBuilderTests(WholeInstallFixture fixture) : IClassFixture<WholeInstallFixture>
{
    private string Root => fixture.Built.Root;

    [Fact]
    public void Has_base_envs_and_package_cache()
    {
        Assert.True(File.Exists(Path.Combine(Root, "conda-meta", "conda-25.1.1-py311_0.json")));
        Assert.True(File.Exists(Path.Combine(Root, "conda-meta", "history")));
        Assert.True(File.Exists(Path.Combine(Root, "envs", ".conda_envs_dir_test")));
        foreach (var env in new[] { "a", "b" })
        {
            var prefix = Path.Combine(Root, "envs", env);
            Assert.True(File.Exists(Path.Combine(prefix, "conda-meta", "zlib-1.2.11-h7b6447c_3.json")), env);
            Assert.True(File.Exists(Path.Combine(prefix, "conda-meta", "history")), env);
            var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(prefix, "conda-meta", "zlib-1.2.11-h7b6447c_3.json"))).RootElement;
            Assert.Equal(Path.Combine(Root, "pkgs", "zlib-1.2.11-h7b6447c_3"), record.GetProperty("extracted_package_dir").GetString());
        }

        Assert.True(File.Exists(Path.Combine(Root, "envs", "a", "bin", "greeter")));
        var urls = File.ReadAllLines(Path.Combine(Root, "pkgs", "urls.txt"));
        Assert.Equal(urls.Length, urls.Distinct(StringComparer.Ordinal).Count());
        foreach (var url in urls)
        {
            var fn = url[(url.LastIndexOf('/') + 1)..];
            Assert.True(File.Exists(Path.Combine(Root, "pkgs", fn)), fn);
            var dist = fn.EndsWith(".conda", StringComparison.Ordinal) ? fn[..^".conda".Length] : fn[..^".tar.bz2".Length];
            Assert.True(File.Exists(Path.Combine(Root, "pkgs", dist, "info", "index.json")), dist);
        }
    }

    [Fact]
    public void Entry_points_name_the_root()
    {
        Assert.Contains($"_CONDA_ROOT=\"{Root}\"", File.ReadAllText(Path.Combine(Root, "condabin", "conda")), StringComparison.Ordinal);
        var profile = File.ReadAllLines(Path.Combine(Root, "etc", "profile.d", "conda.sh"));
        Assert.Contains($"export CONDA_EXE='{Root}/bin/conda'", profile);
        Assert.Contains($"_CONDA_ROOT='{Root}'", profile);
        Assert.Contains(Root, File.ReadAllText(Path.Combine(Root, "bin", "conda")), StringComparison.Ordinal);
        Assert.Equal("conda 25.1.1\n", ProcessRunner.RunChecked(Path.Combine(Root, "bin", "conda"), []).StdOut);
        Assert.Contains($"# cmd: {Root}/bin/conda create", File.ReadAllText(Path.Combine(Root, "envs", "b", "conda-meta", "history")), StringComparison.Ordinal);
    }
}
