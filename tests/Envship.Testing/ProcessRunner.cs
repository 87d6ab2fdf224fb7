using System.Diagnostics;
using System.Text;

namespace Envship.Testing;

/// <summary>Outcome of a finished child process.</summary>
public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr);

/// <summary>Runs external tools (gcc, tar, patchelf, python) without a shell, so arguments need no quoting.</summary>
public static class ProcessRunner
{
    private static readonly TimeSpan _defaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="args"/>. Entries of <paramref name="environment"/>
    /// override the inherited environment; a <c>null</c> value removes that variable.
    /// </summary>
    public static ProcessResult Run(
        string file,
        IEnumerable<string> args,
        string? workingDirectory = null,
        IDictionary<string, string?>? environment = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(args);
        var startInfo = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args)
            startInfo.ArgumentList.Add(arg);
        if (workingDirectory is not null)
            startInfo.WorkingDirectory = workingDirectory;
        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                if (value is null)
                    startInfo.Environment.Remove(name);
                else
                    startInfo.Environment[name] = value;
            }
        }

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        Process process;
        try
        {
            process = FreshExecutable.Start(startInfo);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"Could not start '{FormatCommandLine(file, startInfo.ArgumentList)}': {ex.Message}", ex);
        }

        using var owned = process;
        process.OutputDataReceived += (_, e) => AppendLine(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => AppendLine(stderr, e.Data);

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var limit = timeout ?? _defaultTimeout;
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException(
                $"'{FormatCommandLine(file, startInfo.ArgumentList)}' did not finish within {limit}.\nstderr:\n{Snapshot(stderr)}");
        }

        // The parameterless overload waits for the asynchronous readers to drain.
        process.WaitForExit();
        return new ProcessResult(process.ExitCode, Snapshot(stdout), Snapshot(stderr));
    }

    /// <summary>Like <see cref="Run"/> but throws when the exit code is not zero.</summary>
    public static ProcessResult RunChecked(
        string file,
        IEnumerable<string> args,
        string? workingDirectory = null,
        IDictionary<string, string?>? environment = null,
        TimeSpan? timeout = null)
    {
        var argList = args.ToList();
        var result = Run(file, argList, workingDirectory, environment, timeout);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{FormatCommandLine(file, argList)}' exited with code {result.ExitCode}" +
                (workingDirectory is null ? "" : $" (in {workingDirectory})") +
                $".\nstderr:\n{result.StdErr}\nstdout:\n{result.StdOut}");
        }

        return result;
    }

    /// <summary>Renders a command line for messages, quoting arguments that contain spaces or quotes.</summary>
    public static string FormatCommandLine(string file, IEnumerable<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var parts = new List<string> { Quote(file) };
        parts.AddRange(args.Select(Quote));
        return string.Join(' ', parts);
    }

    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => !char.IsWhiteSpace(c) && c is not '\'' and not '"' and not '\\')
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void AppendLine(StringBuilder builder, string? line)
    {
        if (line is null)
            return;
        lock (builder)
            builder.Append(line).Append('\n');
    }

    private static string Snapshot(StringBuilder builder)
    {
        lock (builder)
            return builder.ToString();
    }
}
