using System.Globalization;
using System.Runtime.InteropServices;

namespace Envship.Core.Platform;

/// <summary>What this machine's NVIDIA driver offers CUDA programs.</summary>
/// <param name="CudaVersion">The newest CUDA the driver supports ("12.4"), from <c>cuDriverGetVersion</c>; null when unknown.</param>
/// <param name="KernelModule">The kernel module's version ("535.104.05") from <c>/proc/driver/nvidia/version</c>, when libcuda gave none.</param>
/// <param name="Evidence">Where the answer came from, as messages name it.</param>
public sealed record CudaDriverInfo(string? CudaVersion, string? KernelModule, string Evidence)
{
    /// <summary>Neither libcuda nor the kernel module was found.</summary>
    public bool Absent => CudaVersion is null && KernelModule is null;
}

/// <summary>
/// Reads the driver's CUDA version the way CUDA programs find the driver: <c>dlopen("libcuda.so.1")</c> through the
/// normal loader path (<c>LD_LIBRARY_PATH</c>, the ld.so cache, the default directories), then <c>cuDriverGetVersion</c>,
/// which needs no GPU and no <c>cuInit</c>. Without libcuda, <c>/proc/driver/nvidia/version</c> only shows that a
/// kernel module is loaded: its driver version does not map to a CUDA version without NVIDIA's release table, and
/// CUDA programs cannot use the driver without libcuda anyway, so it is reported, never compared.
/// </summary>
public static class HostCudaDriver
{
    public const string LibraryName = "libcuda.so.1";
    public const string ProcVersionPath = "/proc/driver/nvidia/version";
    /// <summary>conda's own override of its <c>__cuda</c> virtual package: a CUDA version, or empty for "no driver".</summary>
    public const string CondaOverrideVariable = "CONDA_OVERRIDE_CUDA";
    private const int CudaSuccess = 0;

    private static readonly Lazy<CudaDriverInfo> _current = new(() =>
        FromCondaOverride(Environment.GetEnvironmentVariable(CondaOverrideVariable)) ?? Probe(LibraryName, ProcVersionPath));

    /// <summary>This machine's driver, probed once per process; <c>CONDA_OVERRIDE_CUDA</c> answers instead when set, as it does for conda.</summary>
    public static CudaDriverInfo Current => _current.Value;

    /// <summary>
    /// What <c>CONDA_OVERRIDE_CUDA</c> says, read as conda reads it: unset leaves the probe to decide; empty means
    /// no driver; a version ("12.4") is the driver's CUDA version. Admins set it where the driver is not visible
    /// (a build container) or to deploy ahead of a driver upgrade, and conda honours the same value.
    /// </summary>
    public static CudaDriverInfo? FromCondaOverride(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var trimmed = value.Trim();
        if (trimmed.Length == 0)
        {
            return new CudaDriverInfo(null, null, $"{CondaOverrideVariable} is set and empty");
        }

        var parts = trimmed.Split('.');
        if (parts.Length > 3 || parts.Any(part => part.Length == 0 || !part.All(char.IsAsciiDigit)))
        {
            throw new EnvshipException(
                ExitCode.Usage,
                $"{CondaOverrideVariable}={value} is not a CUDA version. Set it to the driver's CUDA version (for example 12.4), to an empty string for no driver, or unset it to let envship ask the driver.");
        }

        return new CudaDriverInfo(trimmed, null, $"{CondaOverrideVariable}={trimmed}");
    }

    public static CudaDriverInfo Probe(string library, string procVersionPath)
    {
        ArgumentNullException.ThrowIfNull(library);
        ArgumentNullException.ThrowIfNull(procVersionPath);
        if (NativeLibrary.TryLoad(library, out var handle))
        {
            // Never freed: the real libcuda starts threads and registers exit handlers that must outlive dlclose.
            if (NativeLibrary.TryGetExport(handle, "cuDriverGetVersion", out var export) && CallGetVersion(export) is { } encoded)
            {
                return new CudaDriverInfo(FormatVersion(encoded), null, $"cuDriverGetVersion in {library}");
            }

            return new CudaDriverInfo(null, ReadKernelModule(procVersionPath), $"{library} loads but cuDriverGetVersion gave no version");
        }

        return ReadKernelModule(procVersionPath) is { } module
            ? new CudaDriverInfo(null, module, $"{procVersionPath} (kernel module {module}), but {library} cannot be loaded")
            : new CudaDriverInfo(null, null, $"no {library} on the loader path and no {procVersionPath}");
    }

    /// <summary>CUDA encodes a version as 1000 × major + 10 × minor: 12040 is 12.4, 11080 is 11.8.</summary>
    public static string FormatVersion(int encoded) =>
        string.Create(CultureInfo.InvariantCulture, $"{encoded / 1000}.{encoded % 1000 / 10}");

    /// <summary>The version from the file's <c>NVRM version:</c> line ("535.104.05"); null when the text has none.</summary>
    public static string? ParseKernelModule(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith("NVRM version:", StringComparison.Ordinal))
            {
                continue;
            }

            // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023"
            // or, for the open modules, "... Open Kernel Module for x86_64  550.54.14  Release Build ...".
            foreach (var word in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (word.Contains('.', StringComparison.Ordinal) && word.All(c => char.IsAsciiDigit(c) || c == '.') && char.IsAsciiDigit(word[0]))
                {
                    return word;
                }
            }
        }

        return null;
    }

    private static string? ReadKernelModule(string path)
    {
        try
        {
            return File.Exists(path) ? ParseKernelModule(File.ReadAllText(path)) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static unsafe int? CallGetVersion(nint export)
    {
        var getVersion = (delegate* unmanaged<int*, int>)export;
        var version = 0;
        return getVersion(&version) == CudaSuccess && version > 0 ? version : null;
    }
}
