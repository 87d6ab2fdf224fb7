namespace Envship.Testing;

/// <summary>
/// A CPU the tests compile ELF programs for, and how to run them on this x86-64 machine: natively, or under
/// Debian's qemu-user-static (there is no binfmt_misc here). aarch64 programs run against Debian's multiarch
/// <c>libc6:arm64</c> and <c>libssl3:arm64</c> (envship hashes through OpenSSL), which scripts/test.sh installs.
/// qemu's <c>-L /usr/aarch64-linux-gnu</c> is not used: with multiarch libc installed, the cross sysroot's
/// loader would pick up the multiarch libc of another build and hang.
/// </summary>
/// <param name="Compiler">The gcc driver: <c>gcc</c> or <c>aarch64-linux-gnu-gcc</c>.</param>
/// <param name="Subdir">The conda subdir its packages live in: <c>linux-64</c>, <c>linux-aarch64</c>.</param>
/// <param name="Arch">The <c>arch</c> a conda package's index.json names: <c>x86_64</c>, <c>aarch64</c>.</param>
/// <param name="Emulator">The command line that runs a program for this CPU; empty to run it directly.</param>
public sealed record ElfTarget(string Compiler, string Subdir, string Arch, IReadOnlyList<string> Emulator)
{
    /// <summary>The machine the tests run on.</summary>
    public static ElfTarget LinuxX64 { get; } = new("gcc", "linux-64", "x86_64", []);

    /// <summary>aarch64, built with gcc-aarch64-linux-gnu and run with <c>qemu-aarch64-static</c>.</summary>
    public static ElfTarget LinuxAarch64 { get; } = new("aarch64-linux-gnu-gcc", "linux-aarch64", "aarch64", ["qemu-aarch64-static"]);

    /// <summary>Whether programs for this CPU run without an emulator.</summary>
    public bool IsNative => Emulator.Count == 0;

    /// <summary>Runs <paramref name="program"/> (built for this CPU) with <paramref name="args"/>.</summary>
    public ProcessResult Run(
        string program, IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string?>? environment = null, TimeSpan? timeout = null) =>
        IsNative
            ? ProcessRunner.Run(program, args, workingDirectory, environment, timeout)
            : ProcessRunner.Run(Emulator[0], [.. Emulator.Skip(1), program, .. args], workingDirectory, environment, timeout);

    /// <inheritdoc cref="Run"/>
    /// <remarks>Throws with the output when the program exits non-zero.</remarks>
    public ProcessResult RunChecked(
        string program, IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string?>? environment = null, TimeSpan? timeout = null) =>
        IsNative
            ? ProcessRunner.RunChecked(program, args, workingDirectory, environment, timeout)
            : ProcessRunner.RunChecked(Emulator[0], [.. Emulator.Skip(1), program, .. args], workingDirectory, environment, timeout);
}
