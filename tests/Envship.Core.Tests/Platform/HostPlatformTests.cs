using System.Runtime.InteropServices;
using Envship.Core.Platform;

namespace Envship.Core.Tests.Platform;

public sealed class HostPlatformTests
{
    [Theory]
    [InlineData("linux", Architecture.X64, "x86_64", "linux-64")]
    [InlineData("linux", Architecture.Arm64, "aarch64", "linux-aarch64")]
    [InlineData("linux", Architecture.Ppc64le, "ppc64le", "linux-ppc64le")]
    [InlineData("linux", Architecture.S390x, "s390x", "linux-s390x")]
    [InlineData("linux", Architecture.Arm, "armv7l", "linux-armv7l")]
    [InlineData("osx", Architecture.X64, "x86_64", "osx-64")]
    [InlineData("osx", Architecture.Arm64, "arm64", "osx-arm64")]
    [InlineData("win", Architecture.X64, "x86_64", "win-64")]
    [InlineData("win", Architecture.X86, "x86", "win-32")]
    [InlineData("win", Architecture.Arm64, "arm64", "win-arm64")]
    public void Maps_os_and_architecture_to_conda_names(string os, Architecture architecture, string arch, string subdir) =>
        Assert.Equal(new HostPlatform(os, arch, subdir), HostPlatform.From(os, architecture));

    [Fact]
    public void Current_matches_the_running_machine()
    {
        var current = HostPlatform.Current;
        var expectedOs = OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "osx" : OperatingSystem.IsWindows() ? "win" : current.Os;

        Assert.Equal(expectedOs, current.Os);
        Assert.Equal(HostPlatform.From(expectedOs, RuntimeInformation.OSArchitecture), current);
        Assert.Equal(current.CondaSubdir, CondaSubdir.ForHost());
        Assert.StartsWith(current.Os + "-", current.CondaSubdir, StringComparison.Ordinal);
    }
}
