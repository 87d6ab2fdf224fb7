using Envship.Core.Conda;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Platform;
using Envship.Core.Tests.Manifests;

namespace Envship.Core.Tests.Deploy;

/// <summary>The verdicts of the CUDA check for each kind of driver, with the driver given instead of probed.</summary>
public sealed class CudaPreflightTests
{
    private static readonly CudaDriverInfo _driver118 = new("11.8", null, "cuDriverGetVersion in libcuda.so.1");
    private static readonly CudaDriverInfo _driver124 = new("12.4", null, "cuDriverGetVersion in libcuda.so.1");
    private static readonly CudaDriverInfo _none = new(null, null, "no libcuda.so.1 on the loader path and no /proc/driver/nvidia/version");

    [Fact]
    public void An_environment_without_cuda_never_looks_for_a_driver()
    {
        var looked = false;

        var check = CudaPreflight.Run(With(("", null)), "a.tar.zst", ignore: false, () => { looked = true; return _none; });

        Assert.Null(check);
        Assert.False(looked);
    }

    [Fact]
    public void A_driver_too_old_is_refused_with_exit_13_naming_both_versions_the_package_and_the_fixes()
    {
        var manifest = With(("", new CudaRequirement("12", "cuda-version 12.4 constrains '__cuda >=12'", "12.4")));

        var error = Assert.Throws<EnvshipException>(() => CudaPreflight.Run(manifest, "torch.tar.zst", ignore: false, () => _driver118));

        Assert.Equal(ExitCode.CudaDriverTooOld, error.Code);
        Assert.Equal(13, (int)error.Code);
        Assert.Contains("CUDA 12 or newer (cuda-version 12.4 constrains '__cuda >=12')", error.Message, StringComparison.Ordinal);
        Assert.Contains("supports CUDA 11.8 (cuDriverGetVersion in libcuda.so.1)", error.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was written", error.Message, StringComparison.Ordinal);
        Assert.Contains("Upgrade the NVIDIA driver", error.Message, StringComparison.Ordinal);
        Assert.Contains("--ignore-cuda", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ignore_cuda_deploys_with_a_warning_that_says_what_was_ignored()
    {
        var manifest = With(("", new CudaRequirement("12", "cuda-version 12.4 constrains '__cuda >=12'", "12.4")));

        var check = CudaPreflight.Run(manifest, "torch.tar.zst", ignore: true, () => _driver118)!;

        Assert.Equal(CudaOutcome.Ignored, check.Outcome);
        Assert.StartsWith("--ignore-cuda: the environment needs an NVIDIA driver for CUDA 12 or newer", check.Describe(), StringComparison.Ordinal);
        Assert.Contains("supports CUDA 11.8", check.Describe(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("12", "12.4", CudaOutcome.Satisfied)]
    [InlineData("12.4", "12.4", CudaOutcome.Satisfied)]
    [InlineData(null, "12.4", CudaOutcome.Satisfied)]
    [InlineData("12", null, CudaOutcome.NoDriver)]
    [InlineData(null, null, CudaOutcome.NoDriver)]
    public void Verdicts(string? minDriver, string? host, CudaOutcome outcome)
    {
        var manifest = With(("", new CudaRequirement(minDriver, "pytorch 2.3.1 depends on '__cuda'", null)));

        var check = CudaPreflight.Run(manifest, "a.tar.zst", ignore: false, () => host is null ? _none : _driver124)!;

        Assert.Equal(outcome, check.Outcome);
        Assert.Equal(outcome == CudaOutcome.Satisfied, check.Describe() is null);
    }

    [Fact]
    public void No_driver_is_a_warning_that_cpu_code_still_runs()
    {
        var check = CudaPreflight.Run(With(("", new CudaRequirement("12", "cuda-version 12.4 constrains '__cuda >=12'", "12.4"))), "a.tar.zst", ignore: false, () => _none)!;

        Assert.Equal(
            "the environment needs an NVIDIA driver for CUDA 12 or newer (cuda-version 12.4 constrains '__cuda >=12') but this machine has no NVIDIA driver (no libcuda.so.1 on the loader path and no /proc/driver/nvidia/version); CPU code runs, and CUDA calls will fail until a driver is installed.",
            check.Describe());
    }

    [Fact]
    public void A_kernel_module_without_libcuda_is_not_compared()
    {
        var moduleOnly = new CudaDriverInfo(null, "535.104.05", "/proc/driver/nvidia/version (kernel module 535.104.05), but libcuda.so.1 cannot be loaded");

        var check = CudaPreflight.Run(With(("", new CudaRequirement("99", "x 1 depends on '__cuda >=99'", null))), "a.tar.zst", ignore: false, () => moduleOnly)!;

        Assert.Equal(CudaOutcome.UnknownVersion, check.Outcome);
        Assert.Contains("kernel module 535.104.05", check.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_whole_installation_is_held_to_its_strictest_environment()
    {
        var manifest = With(
            ("", null),
            ("envs/jax", new CudaRequirement(null, "jaxlib 0.4.30 depends on '__cuda'", null)),
            ("envs/torch", new CudaRequirement("12", "cuda-version 12.4 constrains '__cuda >=12'", "12.4")),
            ("envs/old", new CudaRequirement("11", "cudatoolkit 11.3.1 (CUDA 11.3 runs on a driver for CUDA 11 or newer)", "11.3")));

        var error = Assert.Throws<EnvshipException>(() => CudaPreflight.Run(manifest, "all.tar.zst", ignore: false, () => _driver118));

        Assert.Contains("(envs/torch: cuda-version 12.4 constrains '__cuda >=12')", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("twelve")]
    [InlineData("12;rm")]
    public void A_manifest_whose_min_driver_is_not_a_version_is_refused(string minDriver)
    {
        var manifest = With(("", new CudaRequirement(minDriver, "x", null)));

        var error = Assert.Throws<EnvshipException>(() => ManifestValidator.Validate(manifest, "bad.tar.zst"));

        Assert.Equal(ExitCode.DamagedArchive, error.Code);
        Assert.Contains("CUDA requirement", error.Message, StringComparison.Ordinal);
    }

    private static Manifest With(params (string Path, CudaRequirement? Cuda)[] environments) =>
        ManifestValidatorTests.With() with
        {
            Environments = [.. environments.Select(e => new ManifestEnvironment { Path = e.Path, Name = e.Path.Length == 0 ? "env" : Path.GetFileName(e.Path), Cuda = e.Cuda })],
        };
}
