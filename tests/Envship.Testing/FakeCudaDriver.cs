using System.Globalization;

namespace Envship.Testing;

/// <summary>
/// A <c>libcuda.so.1</c> built with gcc whose <c>cuDriverGetVersion</c> reports a chosen CUDA version, in a directory
/// of its own, so a child process finds it through <c>LD_LIBRARY_PATH</c> as CUDA programs find the real driver.
/// </summary>
public static class FakeCudaDriver
{
    public const string LibraryName = "libcuda.so.1";

    /// <summary>Builds the library in <c>DIRECTORY/cuda-MAJOR.MINOR/</c> and returns that directory.</summary>
    /// <param name="encodedVersion">CUDA's encoding, 1000 × major + 10 × minor: 12040 for 12.4.</param>
    public static string Build(string directory, int encodedVersion)
    {
        var version = encodedVersion.ToString(CultureInfo.InvariantCulture);
        var output = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"cuda-{encodedVersion / 1000}.{encodedVersion % 1000 / 10}"));
        Directory.CreateDirectory(output);
        var source = Path.Combine(output, "fake_cuda.c");
        File.WriteAllText(source, "int cuDriverGetVersion(int *version) { *version = FAKE_CUDA_VERSION; return 0; }\n");
        ProcessRunner.RunChecked("gcc", ["-shared", "-fPIC", "-Wl,-soname," + LibraryName, "-DFAKE_CUDA_VERSION=" + version, "-o", Path.Combine(output, LibraryName), source]);
        File.Delete(source);
        return output;
    }

    /// <summary>
    /// Why this machine could show a deploy a real NVIDIA driver (a <c>libcuda.so.1</c> in the ld.so cache or a loaded
    /// kernel module), or null when it cannot: the "no driver" case means something only on such a machine.
    /// </summary>
    public static string? RealDriverVisible()
    {
        if (File.Exists("/proc/driver/nvidia/version"))
        {
            return "/proc/driver/nvidia/version exists: an NVIDIA kernel module is loaded";
        }

        var cache = ProcessRunner.RunChecked("/sbin/ldconfig", ["-p"]).StdOut;
        var line = cache.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("libcuda.so", StringComparison.Ordinal));
        return line is null ? null : $"the ld.so cache lists a real driver: {line.Trim()}";
    }
}
