using Envship.Core.Conda;
using Envship.Testing;

namespace Envship.Core.Tests.Conda;

public sealed class InstallationLayoutTests
{
    [Fact]
    public void Real_environment_is_a_single_environment()
    {
        var layout = InstallationLayout.Detect(RealEnvironment.Prefix);

        Assert.False(layout.IsWholeInstallation);
        Assert.Equal([""], layout.EnvironmentPaths);
        Assert.Equal("pkgs", layout.PackageCacheRelativePath);
        Assert.Equal(Path.GetFullPath(RealEnvironment.Prefix), layout.Prefix);
    }

    [Fact]
    public void Root_with_condabin_and_envs_is_a_whole_installation()
    {
        using var temp = new TempDirectory();
        temp.CreateDirectory("conda-meta");
        temp.CreateDirectory("condabin");
        temp.CreateDirectory("envs/web/conda-meta");
        temp.CreateDirectory("envs/Data/conda-meta");
        temp.CreateDirectory("envs/not-an-env/lib");

        var layout = InstallationLayout.Detect(temp.Path + Path.DirectorySeparatorChar);

        Assert.True(layout.IsWholeInstallation);
        Assert.Equal(["", "envs/Data", "envs/web"], layout.EnvironmentPaths);
        Assert.Equal(temp.Path, layout.Prefix);
    }

    [Fact]
    public void Conda_record_marks_a_root_but_conda_build_does_not()
    {
        using var temp = new TempDirectory();
        temp.CreateDirectory("envs/a/conda-meta");
        temp.WriteFile("conda-meta/conda-build-25.1.0-py312_0.json", "{}");

        Assert.False(InstallationLayout.Detect(temp.Path).IsWholeInstallation);

        temp.WriteFile("conda-meta/conda-25.1.2-py312_0.json", "{}");

        var layout = InstallationLayout.Detect(temp.Path);
        Assert.True(layout.IsWholeInstallation);
        Assert.Equal(["", "envs/a"], layout.EnvironmentPaths);
    }

    [Fact]
    public void Condabin_without_envs_is_a_single_environment()
    {
        using var temp = new TempDirectory();
        temp.CreateDirectory("conda-meta");
        temp.CreateDirectory("condabin");

        var layout = InstallationLayout.Detect(temp.Path);

        Assert.False(layout.IsWholeInstallation);
        Assert.Equal([""], layout.EnvironmentPaths);
    }
}
