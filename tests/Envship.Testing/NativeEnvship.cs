using System.Collections.Concurrent;

namespace Envship.Testing;

/// <summary>
/// The native envship that users run on a target (NativeAOT, <c>dotnet publish -r RID</c>), published once per
/// test process and runtime identifier. Publishing takes a minute or two of both cores, so every test that needs
/// the real binary (the glibc floor, the installer, the bullseye root, qemu) shares one build.
/// </summary>
public static class NativeEnvship
{
    /// <summary>The x86-64 Linux runtime identifier.</summary>
    public const string LinuxX64 = "linux-x64";

    /// <summary>The aarch64 Linux runtime identifier.</summary>
    public const string LinuxArm64 = "linux-arm64";

    private static readonly ConcurrentDictionary<string, Lazy<string>> _published = new(StringComparer.Ordinal);
    private static readonly object _publishLock = new();
    private static readonly string _outputRoot = CreateOutputRoot();

    /// <summary>The repository root (the directory holding Envship.slnx).</summary>
    public static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Envship.slnx")))
                directory = directory.Parent;
            return directory?.FullName ?? throw new InvalidOperationException("Envship.slnx not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>
    /// Path of the published native envship for <paramref name="runtimeIdentifier"/>, building it on first use.
    /// Throws with dotnet's output when the publish fails, so the test that asked says why.
    /// </summary>
    public static string Binary(string runtimeIdentifier = LinuxX64) =>
        _published.GetOrAdd(runtimeIdentifier, rid => new Lazy<string>(() => Publish(rid))).Value;

    private static string CreateOutputRoot()
    {
        var root = Directory.CreateTempSubdirectory("envship-native-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        };
        return root;
    }

    private static string Publish(string runtimeIdentifier)
    {
        // One publish at a time: two NativeAOT links at once on a 2-core machine are slower than two in a row.
        lock (_publishLock)
        {
            var output = Path.Combine(_outputRoot, runtimeIdentifier);
            var project = Path.Combine(RepositoryRoot, "src", "Envship.Cli");
            var result = ProcessRunner.Run(
                "dotnet",
                ["publish", project, "-c", "Release", "-r", runtimeIdentifier, "-o", output, "--nologo", "-v", "q"],
                timeout: TimeSpan.FromMinutes(15));
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"dotnet publish -r {runtimeIdentifier} failed ({result.ExitCode}):\n{result.StdOut}\n{result.StdErr}");
            var binary = Path.Combine(output, "envship");
            if (!File.Exists(binary) || File.Exists(Path.Combine(output, "envship.dll")))
                throw new InvalidOperationException($"dotnet publish -r {runtimeIdentifier} did not produce a native envship in {output}");
            return binary;
        }
    }
}
