using Envship.Core.Platform;

namespace Envship.Core.Tests.Platform;

public sealed class EnvironmentPlatformTests
{
    [Theory]
    [InlineData("linux-64", "linux", "x86_64")]
    [InlineData("linux-aarch64", "linux", "aarch64")]
    [InlineData("linux-ppc64le", "linux", "ppc64le")]
    [InlineData("osx-arm64", "osx", "arm64")]
    [InlineData("win-32", "win", "x86")]
    public void A_subdir_names_the_os_and_the_cpu_as_the_host_platform_does(string subdir, string os, string arch) =>
        Assert.Equal(new HostPlatform(os, arch, subdir), EnvironmentPlatform.FromSubdir(subdir));

    [Theory]
    [InlineData("noarch")]
    [InlineData("linux-")]
    [InlineData("-64")]
    [InlineData("linux-64-extra")]
    public void A_name_that_is_not_os_dash_arch_is_no_platform(string subdir) =>
        Assert.Null(EnvironmentPlatform.FromSubdir(subdir));

    [Fact]
    public void The_subdir_most_packages_name_wins_and_noarch_says_nothing()
    {
        var platform = EnvironmentPlatform.Of(["noarch", "linux-aarch64", "noarch", "noarch", "linux-aarch64", "linux-64", null, ""]);

        Assert.Equal(new HostPlatform("linux", "aarch64", "linux-aarch64"), platform);
    }

    [Fact]
    public void Without_a_platform_package_the_packing_machine_decides()
    {
        Assert.Equal(HostPlatform.Current, EnvironmentPlatform.Of(["noarch", null, ""]));
        Assert.Equal(HostPlatform.Current, EnvironmentPlatform.Of([]));
        Assert.Equal(HostPlatform.Current, EnvironmentPlatform.Of(["weird"]));
    }
}
