using System.Diagnostics;
using System.Runtime.Versioning;
using Envship.Testing;

namespace Envship.Core.Tests.Relocation;

internal sealed record ToolResult(int ExitCode, string Output, string Error);

/// <summary>Runs gcc, readelf and freshly built programs with a clean loader environment.</summary>
[UnsupportedOSPlatform("windows")]
internal static class NativeToolchain
{
    public static ToolResult Run(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("LD_LIBRARY_PATH");
        start.Environment.Remove("LD_PRELOAD");
        using var process = FreshExecutable.Start(start);
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new ToolResult(process.ExitCode, output, error.GetAwaiter().GetResult());
    }

    public static void MustRun(string fileName, params string[] arguments)
    {
        var result = Run(fileName, arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.Error}");
        }
    }

    public static void MakeExecutable(string path) =>
        File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
}
