using Envship.Core.Conda;
using Envship.Core.Manifests;
using Envship.Core.Platform;

namespace Envship.Core.Deploy;

public enum CudaOutcome
{
    /// <summary>The driver supports the CUDA version the environment needs.</summary>
    Satisfied,

    /// <summary>No NVIDIA driver: CPU code runs, CUDA calls fail.</summary>
    NoDriver,

    /// <summary>A driver is there but its CUDA version could not be read, so it was not compared.</summary>
    UnknownVersion,

    /// <summary>The driver is too old and <c>--ignore-cuda</c> deployed anyway.</summary>
    Ignored,
}

/// <summary>What the CUDA check found: the environment's need, the host's driver, and the verdict.</summary>
/// <param name="MinDriver">The lowest CUDA version the driver must support; null when any driver does.</param>
/// <param name="RequiredBy">The package and spec the need comes from, with its environment's path in a whole installation.</param>
/// <param name="HostCuda">The newest CUDA this machine's driver supports; null when unknown or absent.</param>
/// <param name="Driver">Where <paramref name="HostCuda"/> came from, or what was looked for.</param>
public sealed record CudaCheck(string? MinDriver, string RequiredBy, string? HostCuda, string Driver, CudaOutcome Outcome)
{
    private string Need => MinDriver is null ? $"an NVIDIA driver ({RequiredBy})" : $"an NVIDIA driver for CUDA {MinDriver} or newer ({RequiredBy})";

    /// <summary>The warning a deploy prints; null when there is nothing to say.</summary>
    public string? Describe() => Outcome switch
    {
        CudaOutcome.NoDriver => $"the environment needs {Need} but this machine has no NVIDIA driver ({Driver}); CPU code runs, and CUDA calls will fail until a driver is installed.",
        CudaOutcome.UnknownVersion => $"the environment needs {Need} but this machine's driver gave no CUDA version ({Driver}); CUDA calls may fail.",
        CudaOutcome.Ignored => $"--ignore-cuda: the environment needs {Need} but this machine's driver supports CUDA {HostCuda} ({Driver}); deployed anyway, and CUDA calls will fail until the driver is upgraded.",
        _ => null,
    };
}

/// <summary>
/// Compares the environment's CUDA need with this machine's driver before anything is written: a driver too old refuses
/// (exit 13) unless <c>--ignore-cuda</c>; no driver at all only warns, because CPU code still runs.
/// </summary>
public static class CudaPreflight
{
    /// <summary>Null when no environment in the archive needs CUDA (then the driver is not even looked for).</summary>
    public static CudaCheck? Run(Manifest manifest, string archivePath, bool ignore, Func<CudaDriverInfo>? driver = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (Strictest(manifest) is not { } need)
        {
            return null;
        }

        var host = (driver ?? (() => HostCudaDriver.Current))();
        if (host.Absent)
        {
            return new CudaCheck(need.MinDriver, need.RequiredBy, null, host.Evidence, CudaOutcome.NoDriver);
        }

        if (host.CudaVersion is not { } version)
        {
            return new CudaCheck(need.MinDriver, need.RequiredBy, null, host.Evidence, CudaOutcome.UnknownVersion);
        }

        if (need.MinDriver is not { } minimum || CudaRequirement.Compare(version, minimum) >= 0)
        {
            return new CudaCheck(need.MinDriver, need.RequiredBy, version, host.Evidence, CudaOutcome.Satisfied);
        }

        if (!ignore)
        {
            throw new EnvshipException(
                ExitCode.CudaDriverTooOld,
                $"{archivePath}: the environment needs an NVIDIA driver for CUDA {minimum} or newer ({need.RequiredBy}) but this machine's driver supports CUDA {version} ({host.Evidence}); its CUDA code would fail at the first call, so nothing was written. Upgrade the NVIDIA driver to one for CUDA {minimum} or newer, deploy on a machine that has one, or pass --ignore-cuda to deploy anyway (CPU code still runs).");
        }

        return new CudaCheck(need.MinDriver, need.RequiredBy, version, host.Evidence, CudaOutcome.Ignored);
    }

    /// <summary>The highest need of any environment (a whole installation may hold CPU and GPU environments side by side).</summary>
    internal static (string? MinDriver, string RequiredBy)? Strictest(Manifest manifest)
    {
        (string? MinDriver, string RequiredBy)? best = null;
        foreach (var environment in manifest.Environments)
        {
            if (environment.Cuda is not { } cuda)
            {
                continue;
            }

            var requiredBy = environment.Path.Length == 0 ? cuda.RequiredBy : $"{environment.Path}: {cuda.RequiredBy}";
            if (best is null || (cuda.MinDriver is not null && (best.Value.MinDriver is null || CudaRequirement.Compare(cuda.MinDriver, best.Value.MinDriver) > 0)))
            {
                best = (cuda.MinDriver, requiredBy);
            }
        }

        return best;
    }
}
