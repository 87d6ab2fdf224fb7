using Envship.Testing;

namespace Envship.Cli.Tests;

public sealed record CliResult(int ExitCode, string StdOut, string StdErr)
{
    public string All => StdOut + StdErr;
}

/// <summary>Runs the CLI in-process through the same entry point as the tool, capturing both streams.</summary>
public static class CliRunner
{
    public static CliResult Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = EnvshipApp.Run(args, output, error);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    public static CliResult RunOk(params string[] args)
    {
        var result = Run(args);
        Assert.True(result.ExitCode == 0, $"envship {string.Join(' ', args)} exited {result.ExitCode}:\n{result.All}");
        return result;
    }

    /// <summary>Runs the built <c>envship</c> assembly as its own process, as a user would.</summary>
    public static ProcessResult RunProcess(IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, "envship.dll");
        return ProcessRunner.Run("dotnet", [assembly, .. args], workingDirectory, environment, TimeSpan.FromMinutes(5));
    }

    /// <summary>
    /// Runs the built <c>envship</c> with <paramref name="stdin"/> piped in (as <c>printf</c> would, plus a newline):
    /// ProcessRunner closes stdin, and <c>--password-stdin</c> needs it open.
    /// </summary>
    public static ProcessResult RunWithStdin(string stdin, IEnumerable<string> args, IDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var assembly = Path.Combine(AppContext.BaseDirectory, "envship.dll");
        var withStdin = new Dictionary<string, string?>(environment) { ["ENVSHIP_TEST_STDIN"] = stdin };
        return ProcessRunner.Run("sh", ["-c", "printf '%s\\n' \"$ENVSHIP_TEST_STDIN\" | exec dotnet \"$@\"", "sh", assembly, .. args], environment: withStdin, timeout: TimeSpan.FromMinutes(5));
    }
}
