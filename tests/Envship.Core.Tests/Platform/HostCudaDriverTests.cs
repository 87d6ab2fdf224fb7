using Envship.Core.Platform;
using Envship.Testing;

namespace Envship.Core.Tests.Platform;

/// <summary>Reading the driver without libcuda: the kernel module's version file, and CUDA's version encoding.</summary>
public sealed class HostCudaDriverTests
{
    [Theory]
    [InlineData("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n", "535.104.05")]
    [InlineData("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.14  Release Build  (dvs-builder@U16-I3-B03-4-3)  Thu Feb 22 01:25:25 UTC 2024\nGCC version:  gcc version 11.4.0\n", "550.54.14")]
    [InlineData("NVRM version: NVIDIA UNIX aarch64 Kernel Module  470.256.02  Thu May  2 14:37:44 UTC 2024\n", "470.256.02")]
    [InlineData("GCC version:  gcc version 12.2.0\n", null)]
    [InlineData("", null)]
    public void The_kernel_module_version_is_read_from_the_nvrm_line(string text, string? version) =>
        Assert.Equal(version, HostCudaDriver.ParseKernelModule(text));

    [Theory]
    [InlineData(12040, "12.4")]
    [InlineData(11080, "11.8")]
    [InlineData(12000, "12.0")]
    [InlineData(10020, "10.2")]
    [InlineData(13010, "13.1")]
    public void Cuda_versions_are_decoded_as_cuda_encodes_them(int encoded, string version) =>
        Assert.Equal(version, HostCudaDriver.FormatVersion(encoded));

    [Fact]
    public void Without_libcuda_a_proc_file_shows_only_a_kernel_module_and_without_either_the_driver_is_absent()
    {
        using var work = new TempDirectory("envship-nvidia-proc-");
        var proc = work.WriteFile("version", "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n");
        var missingLibrary = work.Combine("no-such-dir", "libcuda.so.1");

        var moduleOnly = HostCudaDriver.Probe(missingLibrary, proc);
        var none = HostCudaDriver.Probe(missingLibrary, work.Combine("no-such-version"));

        Assert.Equal(new CudaDriverInfo(null, "535.104.05", $"{proc} (kernel module 535.104.05), but {missingLibrary} cannot be loaded"), moduleOnly);
        Assert.False(moduleOnly.Absent);
        Assert.True(none.Absent);
    }

    [Theory]
    [InlineData("12.4", "12.4")]
    [InlineData(" 11.8 ", "11.8")]
    [InlineData("12", "12")]
    public void CONDA_OVERRIDE_CUDA_with_a_version_is_the_drivers_cuda_version(string value, string version)
    {
        var driver = HostCudaDriver.FromCondaOverride(value)!;

        Assert.Equal(version, driver.CudaVersion);
        Assert.False(driver.Absent);
        Assert.Equal($"CONDA_OVERRIDE_CUDA={version}", driver.Evidence);
    }

    [Fact]
    public void CONDA_OVERRIDE_CUDA_unset_leaves_the_probe_to_decide_and_empty_means_no_driver()
    {
        Assert.Null(HostCudaDriver.FromCondaOverride(null));
        Assert.True(HostCudaDriver.FromCondaOverride("")!.Absent);
        Assert.True(HostCudaDriver.FromCondaOverride("  ")!.Absent);
    }

    [Theory]
    [InlineData("twelve")]
    [InlineData("12.")]
    [InlineData("12.4.1.7")]
    [InlineData(">=12")]
    public void CONDA_OVERRIDE_CUDA_that_is_not_a_version_is_a_usage_error(string value)
    {
        var error = Assert.Throws<EnvshipException>(() => HostCudaDriver.FromCondaOverride(value));

        Assert.Equal(ExitCode.Usage, error.Code);
        Assert.Contains("CONDA_OVERRIDE_CUDA=", error.Message, StringComparison.Ordinal);
    }
}
