using System.Text.Json.Nodes;
using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Platform;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// Issue 14, acceptance 5: the environment's CUDA need against the driver that <c>libcuda.so.1</c> reports, found through
/// the normal loader path. The drivers are gcc-built fakes on <c>LD_LIBRARY_PATH</c> of a real envship process.
/// </summary>
public sealed class CudaDriverTests(CudaEnvironment env) : IClassFixture<CudaEnvironment>
{
    [Fact]
    public void A_driver_too_old_is_refused_before_writing_and_ignore_cuda_deploys_with_a_warning()
    {
        var parent = env.Work.CreateDirectory("old-driver");
        var destination = Path.Combine(parent, "env");

        var refused = Deploy(env.Driver118, "--prefix", destination);
        var dryRun = Deploy(env.Driver118, "--prefix", destination, "--dry-run");

        Assert.True(refused.ExitCode == (int)ExitCode.CudaDriverTooOld, $"{refused.ExitCode}: {refused.StdErr}");
        Assert.Equal(13, refused.ExitCode);
        Assert.Contains($"needs an NVIDIA driver for CUDA 12 or newer ({CudaEnvironment.RequiredBy}) but this machine's driver supports CUDA 11.8 (cuDriverGetVersion in libcuda.so.1)", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains("nothing was written", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains("Upgrade the NVIDIA driver", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains("--ignore-cuda", refused.StdErr, StringComparison.Ordinal);
        Assert.Equal(13, dryRun.ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));

        var ignored = Deploy(env.Driver118, "--prefix", destination, "--ignore-cuda");

        Assert.True(ignored.ExitCode == 0, ignored.StdErr);
        Assert.Contains($"envship: warning: --ignore-cuda: the environment needs an NVIDIA driver for CUDA 12 or newer ({CudaEnvironment.RequiredBy}) but this machine's driver supports CUDA 11.8", ignored.StdErr, StringComparison.Ordinal);
        var receipt = Receipt.Load(destination).Cuda!;
        Assert.Equal((CudaOutcome.Ignored, "12", "11.8"), (receipt.Outcome, receipt.MinDriver, receipt.HostCuda));
    }

    [Fact]
    public void A_new_enough_driver_deploys_without_a_cuda_warning()
    {
        var destination = Path.Combine(env.Work.CreateDirectory("new-driver"), "env");

        var plan = Deploy(env.Driver124, "--prefix", destination, "--dry-run");
        var deployed = Deploy(env.Driver124, "--prefix", destination);

        Assert.True(plan.ExitCode == 0, plan.StdErr);
        Assert.Contains($"cuda: needs a driver for CUDA 12 or newer ({CudaEnvironment.RequiredBy}), host: CUDA 12.4", plan.StdOut, StringComparison.Ordinal);
        Assert.True(deployed.ExitCode == 0, deployed.StdErr);
        Assert.DoesNotContain("warning", deployed.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("CUDA", deployed.StdErr, StringComparison.Ordinal);
        var receipt = Receipt.Load(destination).Cuda!;
        Assert.Equal((CudaOutcome.Satisfied, "12.4", "cuDriverGetVersion in libcuda.so.1"), (receipt.Outcome, receipt.HostCuda, receipt.Driver));
    }

    [Fact]
    public void No_driver_is_a_warning_and_the_deploy_goes_ahead()
    {
        Assert.True(FakeCudaDriver.RealDriverVisible() is null, $"this test needs a machine without an NVIDIA driver: {FakeCudaDriver.RealDriverVisible()}");
        var parent = env.Work.CreateDirectory("no-driver-deploys");

        var deployed = Deploy(env.NoDriver, "--prefix", Path.Combine(parent, "env"));
        var json = Deploy(env.NoDriver, "--prefix", Path.Combine(parent, "json-env"), "--json");

        Assert.True(deployed.ExitCode == 0, deployed.StdErr);
        Assert.Contains(
            $"envship: warning: the environment needs an NVIDIA driver for CUDA 12 or newer ({CudaEnvironment.RequiredBy}) but this machine has no NVIDIA driver (no libcuda.so.1 on the loader path and no /proc/driver/nvidia/version); CPU code runs",
            deployed.StdErr,
            StringComparison.Ordinal);
        Assert.Equal(CudaOutcome.NoDriver, Receipt.Load(Path.Combine(parent, "env")).Cuda!.Outcome);
        Assert.True(json.ExitCode == 0, json.StdErr);
        var summary = JsonNode.Parse(json.StdOut)!;
        Assert.Equal("NoDriver", (string?)summary["cuda"]!["outcome"]);
        Assert.Contains(summary["notes"]!.AsArray(), n => ((string?)n)!.Contains("has no NVIDIA driver", StringComparison.Ordinal));
    }

    [Fact]
    public void Inspect_shows_the_requirement_which_packs_record_the_same_each_time()
    {
        var text = CliRunner.RunOk("inspect", env.Archive);
        var json = JsonNode.Parse(CliRunner.RunOk("inspect", env.Archive, "--json").StdOut)!;
        var again = env.Work.Combine("torch-again.tar.zst");
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", again, "-q");

        Assert.Contains($"cuda:          needs an NVIDIA driver for CUDA 12 or newer ({CudaEnvironment.RequiredBy}); built for CUDA 12.4", text.StdOut, StringComparison.Ordinal);
        var cuda = json["environments"]![0]!["cuda"]!;
        Assert.Equal(("12", CudaEnvironment.RequiredBy, "12.4"), ((string?)cuda["min_driver"], (string?)cuda["required_by"], (string?)cuda["toolkit"]));
        Assert.Equal(ManifestJson.Serialize(ArchiveReader.ReadManifestOnly(env.Archive)), ManifestJson.Serialize(ArchiveReader.ReadManifestOnly(again)));
    }

    [Fact]
    public void The_native_binary_reads_the_driver_version_too()
    {
        var parent = env.Work.CreateDirectory("native-old-driver");

        var refused = ProcessRunner.Run(NativeEnvship.Binary(), ["deploy", env.Archive, "--prefix", Path.Combine(parent, "env")], environment: Driver(env.Driver118));

        Assert.True(refused.ExitCode == (int)ExitCode.CudaDriverTooOld, $"{refused.ExitCode}: {refused.StdErr}");
        Assert.Contains("this machine's driver supports CUDA 11.8 (cuDriverGetVersion in libcuda.so.1)", refused.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    private ProcessResult Deploy(string driverDirectory, params string[] args) =>
        CliRunner.RunProcess(["deploy", env.Archive, .. args], Driver(driverDirectory));

    /// <summary>
    /// conda's override of its <c>__cuda</c> virtual package answers for the driver in envship too: a version wins over
    /// what libcuda says, an empty value means no driver, and anything else is refused as a usage error.
    /// </summary>
    [Fact]
    public void CONDA_OVERRIDE_CUDA_answers_for_the_driver_as_it_does_for_conda()
    {
        var parent = env.Work.CreateDirectory("conda-override");

        var refused = DeployWithCondaOverride(env.Driver124, "11.8", "--prefix", Path.Combine(parent, "env"));
        var noDriver = DeployWithCondaOverride(env.Driver124, "", "--prefix", Path.Combine(parent, "env"));
        var unreadable = DeployWithCondaOverride(env.Driver124, "twelve", "--prefix", Path.Combine(parent, "unreadable"));

        Assert.True(refused.ExitCode == (int)ExitCode.CudaDriverTooOld, $"{refused.ExitCode}: {refused.StdErr}");
        Assert.Contains("this machine's driver supports CUDA 11.8 (CONDA_OVERRIDE_CUDA=11.8)", refused.StdErr, StringComparison.Ordinal);
        Assert.True(noDriver.ExitCode == 0, noDriver.StdErr);
        Assert.Contains("has no NVIDIA driver (CONDA_OVERRIDE_CUDA is set and empty)", noDriver.StdErr, StringComparison.Ordinal);
        Assert.Equal(CudaOutcome.NoDriver, Receipt.Load(Path.Combine(parent, "env")).Cuda!.Outcome);
        Assert.True(unreadable.ExitCode == (int)ExitCode.Usage, $"{unreadable.ExitCode}: {unreadable.StdErr}");
        Assert.Contains("CONDA_OVERRIDE_CUDA=twelve is not a CUDA version", unreadable.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(parent, "unreadable")), "a refused deploy wrote DEST");
    }

    private ProcessResult DeployWithCondaOverride(string driverDirectory, string condaOverride, params string[] args)
    {
        var environment = Driver(driverDirectory);
        environment[HostCudaDriver.CondaOverrideVariable] = condaOverride;
        return CliRunner.RunProcess(["deploy", env.Archive, .. args], environment);
    }

    // CONDA_OVERRIDE_CUDA is removed: these tests are about what the driver itself says.
    private static Dictionary<string, string?> Driver(string directory) =>
        new() { ["LD_LIBRARY_PATH"] = directory, [HostCudaDriver.CondaOverrideVariable] = null };
}
