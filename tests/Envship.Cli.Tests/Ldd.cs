using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>What the real dynamic loader resolves, read from <c>ldd</c>.</summary>
public static class Ldd
{
    /// <summary>The normalized path <c>ldd</c> resolves for <paramref name="library"/>, or null when it is "not found".</summary>
    public static string? Resolve(string program, string library)
    {
        var output = ProcessRunner.RunChecked("ldd", [program]).StdOut;
        var line = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(library + " => ", StringComparison.Ordinal));
        Assert.True(line is not null, $"ldd {program} does not list {library}:\n{output}");
        var resolved = line[(library.Length + 4)..];
        var end = resolved.IndexOf(" (", StringComparison.Ordinal);
        return resolved.StartsWith("not found", StringComparison.Ordinal) ? null : Path.GetFullPath(end < 0 ? resolved : resolved[..end]);
    }
}
