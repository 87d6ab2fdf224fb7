using Envship.Core.Archive.Installer;

namespace Envship.Core.Pack;

/// <summary>What the running envship is, for finding the native binary an installer embeds.</summary>
/// <param name="IsNative">True for the NativeAOT build, whose own executable is the binary to embed.</param>
/// <param name="SelfExecutable">The running executable (<c>/proc/self/exe</c>).</param>
/// <param name="Directories">Where builds for other CPUs may sit, named <c>envship-linux-x86_64</c>, <c>envship-linux-aarch64</c>.</param>
public sealed record RunningEnvship(bool IsNative, string SelfExecutable, IReadOnlyList<string> Directories);

/// <summary>Chooses the native envship an installer carries for a target, and checks that it is one.</summary>
public static class InstallerBinary
{
    public const string Flag = "--envship-binary";

    /// <summary>
    /// The given <paramref name="explicitPath"/>; else the running envship when it is the native build for
    /// <paramref name="target"/>; else <c>envship-TARGET</c> beside it. Refuses (usage) when none is found,
    /// and when the file is not a 64-bit ELF executable for the target.
    /// </summary>
    public static string Resolve(InstallerTarget target, string? explicitPath, RunningEnvship running)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(running);
        if (explicitPath is not null)
        {
            if (!File.Exists(explicitPath))
            {
                throw new EnvshipException(ExitCode.Usage, $"{Flag} {explicitPath}: no such file. Pass the native envship for {target.Name} (dotnet publish src/Envship.Cli -c Release -r {RuntimeIdentifier(target)}).");
            }

            return Checked(explicitPath, target, Flag + " " + explicitPath);
        }

        if (running.IsNative && target == InstallerTarget.Host && File.Exists(running.SelfExecutable))
        {
            return Checked(running.SelfExecutable, target, "the running envship");
        }

        foreach (var directory in running.Directories)
        {
            var beside = Path.Combine(directory, target.BesideFileName);
            if (File.Exists(beside))
            {
                return Checked(beside, target, beside);
            }
        }

        var why = running.IsNative ? $"this envship is the native build for {InstallerTarget.Host?.Name ?? "another CPU"}" : "this envship runs on .NET, not as the native build";
        throw new EnvshipException(
            ExitCode.Usage,
            $"no native envship for {target.Name} to embed: {why}, and no {target.BesideFileName} sits beside it ({string.Join(", ", running.Directories)}). "
            + $"Pass one with {Flag} PATH (dotnet publish src/Envship.Cli -c Release -r {RuntimeIdentifier(target)} builds it).");
    }

    private static string Checked(string path, InstallerTarget target, string what)
    {
        var head = new byte[64];
        int read;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None))
        {
            read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        if (target.Mismatch(head.AsSpan(0, read)) is { } mismatch)
        {
            throw new EnvshipException(ExitCode.Usage, $"{what} {mismatch}, so an installer for {target.Name} cannot carry it. Pass the native envship for {target.Name} with {Flag}, or choose the matching --target.");
        }

        return path;
    }

    private static string RuntimeIdentifier(InstallerTarget target) => target == InstallerTarget.LinuxAarch64 ? "linux-arm64" : "linux-x64";
}
