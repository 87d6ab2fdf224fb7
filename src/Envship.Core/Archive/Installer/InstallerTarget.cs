using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Envship.Core.Archive.Installer;

/// <summary>A CPU an installer can be made for, named as <c>--target</c> takes it, with the ELF machine its binary must have.</summary>
public sealed record InstallerTarget(string Name, ushort ElfMachine, Architecture Architecture, string ManifestArch)
{
    public static readonly InstallerTarget LinuxX64 = new("linux-x86_64", 62, Architecture.X64, "x86_64");
    public static readonly InstallerTarget LinuxAarch64 = new("linux-aarch64", 183, Architecture.Arm64, "aarch64");

    public static IReadOnlyList<InstallerTarget> All { get; } = [LinuxX64, LinuxAarch64];

    public static string Choices => string.Join(", ", All.Select(t => t.Name));

    /// <summary>The file name a native build for this target has when it sits beside envship: <c>envship-linux-x86_64</c>.</summary>
    public string BesideFileName => "envship-" + Name;

    public static InstallerTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    public static InstallerTarget Parse(string name) =>
        Find(name) ?? throw new EnvshipException(ExitCode.Usage, $"--target: expected one of {Choices}; got '{name}'.");

    /// <summary>The target matching this machine's CPU, or null on a CPU no installer is made for.</summary>
    public static InstallerTarget? Host => All.FirstOrDefault(t => t.Architecture == RuntimeInformation.OSArchitecture);

    /// <summary>
    /// Null when <paramref name="head"/> (a file's first 64 bytes) is a 64-bit little-endian Linux ELF
    /// executable for this target; otherwise what it is instead, for the refusal.
    /// </summary>
    public string? Mismatch(ReadOnlySpan<byte> head)
    {
        if (head.Length < 64 || !head.StartsWith((ReadOnlySpan<byte>)[0x7F, (byte)'E', (byte)'L', (byte)'F']))
        {
            return "is not an ELF executable";
        }

        if (head[4] != 2 || head[5] != 1)
        {
            return "is not a 64-bit little-endian ELF file";
        }

        var type = BinaryPrimitives.ReadUInt16LittleEndian(head[16..]);
        if (type is not (2 or 3))
        {
            return "is an ELF object or core file, not an executable";
        }

        var machine = BinaryPrimitives.ReadUInt16LittleEndian(head[18..]);
        if (machine == ElfMachine)
        {
            return null;
        }

        var named = All.FirstOrDefault(t => t.ElfMachine == machine)?.Name ?? $"ELF machine {machine}";
        return $"is built for {named}, not {Name}";
    }
}
