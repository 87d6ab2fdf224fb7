using System.Runtime.InteropServices;

namespace Envship.Core.Platform;

/// <summary>The operating system and CPU in conda's vocabulary.</summary>
/// <param name="Os"><c>linux</c>, <c>osx</c>, <c>win</c> (or <c>freebsd</c>, <c>emscripten</c>, <c>unknown</c>).</param>
/// <param name="Arch"><c>x86_64</c>, <c>aarch64</c> (Linux) / <c>arm64</c> (macOS, Windows), <c>ppc64le</c>, <c>s390x</c>, ...</param>
/// <param name="CondaSubdir">The conda subdir packages for this platform live in: <c>linux-64</c>, <c>osx-arm64</c>, <c>win-64</c>, ...</param>
public sealed record HostPlatform(string Os, string Arch, string CondaSubdir)
{
    private static readonly Lazy<HostPlatform> _current = new(() => From(CurrentOs(), RuntimeInformation.OSArchitecture));

    /// <summary>The machine this process runs on (the OS architecture, so an x64 process under emulation still reports arm64).</summary>
    public static HostPlatform Current => _current.Value;

    /// <summary>Maps an OS name (<c>linux</c>, <c>osx</c>, <c>win</c>, ...) and an architecture to conda's names.</summary>
    public static HostPlatform From(string os, Architecture architecture)
    {
        ArgumentNullException.ThrowIfNull(os);
        var arch = (os, architecture) switch
        {
            (_, Architecture.X64) => "x86_64",
            (_, Architecture.X86) => "x86",
            ("linux", Architecture.Arm64) => "aarch64",
            (_, Architecture.Arm64) => "arm64",
            (_, Architecture.Arm) => "armv7l",
            (_, Architecture.Armv6) => "armv6l",
            (_, Architecture.Ppc64le) => "ppc64le",
            (_, Architecture.S390x) => "s390x",
            (_, Architecture.RiscV64) => "riscv64",
            (_, Architecture.LoongArch64) => "loongarch64",
            (_, Architecture.Wasm) => "wasm32",
            _ => architecture.ToString().ToLowerInvariant(),
        };

        // conda spells 64-bit x86 as "-64" and 32-bit x86 as "-32"; every other CPU keeps its own name.
        var subdirArch = architecture switch
        {
            Architecture.X64 => "64",
            Architecture.X86 => "32",
            _ => arch,
        };
        return new HostPlatform(os, arch, $"{os}-{subdirArch}");
    }

    private static string CurrentOs()
    {
        if (OperatingSystem.IsLinux())
        {
            return "linux";
        }

        if (OperatingSystem.IsMacOS())
        {
            return "osx";
        }

        if (OperatingSystem.IsWindows())
        {
            return "win";
        }

        if (OperatingSystem.IsFreeBSD())
        {
            return "freebsd";
        }

        return OperatingSystem.IsBrowser() ? "emscripten" : "unknown";
    }
}

/// <summary>Conda subdir helpers.</summary>
public static class CondaSubdir
{
    /// <summary>The subdir of the running machine, e.g. <c>linux-64</c> or <c>osx-arm64</c>.</summary>
    public static string ForHost() => HostPlatform.Current.CondaSubdir;
}
