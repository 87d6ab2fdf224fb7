using System.Runtime.Versioning;
using Envship.Testing;

namespace Envship.Core.Tests.Fixtures;

[SupportedOSPlatform("linux")]
public sealed class ElfProgramBuilderTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Placeholder_is_conda_build_shaped()
    {
        Assert.Equal(255, ElfProgramBuilder.CondaBuildPlaceholder.Length);
        Assert.Contains("_h_env_placehold_placehold", ElfProgramBuilder.CondaBuildPlaceholder, StringComparison.Ordinal);
    }

    [Fact]
    public void Conda_style_package_is_the_same_whatever_the_prefix()
    {
        var first = ElfProgramBuilder.BuildCondaStyle(_temp.Combine("one", "env"), _temp.Combine("one", "pkgs"));
        var second = ElfProgramBuilder.BuildCondaStyle(_temp.Combine("two", "longer-env"), _temp.Combine("two", "pkgs"));

        Assert.Equal(
            File.ReadAllBytes(first.Package!.PackageTarballPath),
            File.ReadAllBytes(second.Package!.PackageTarballPath));
        Assert.Equal(_temp.Combine("two", "longer-env", "share", "greeter"), second.EmbeddedPath);
    }

    [Fact]
    public void Tight_build_leaves_no_room_after_the_prefix()
    {
        var prefix = _temp.Combine("tight");
        ElfProgramBuilder.BuildTight(prefix);
        var bytes = File.ReadAllBytes(Path.Combine(prefix, "bin", "tight"));
        var marker = System.Text.Encoding.UTF8.GetBytes(prefix + "/share/tight\0");
        var at = bytes.AsSpan().IndexOf(marker);
        Assert.True(at >= 0);
        Assert.Equal(prefix + "/lib", ElfTools.ReadDynamic(Path.Combine(prefix, "bin", "tight")).RunPath);
        Assert.False(Directory.Exists(Path.Combine(prefix, "conda-meta")));
    }
}
