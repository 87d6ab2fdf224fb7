using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// envship must never be the reason a deploy fails on an older host: the native binary asks for no
/// glibc newer than 2.17 (RHEL 7's), whatever glibc it was linked on (src/Envship.Cli/Native/glibc-floor.c).
/// </summary>
public sealed class GlibcFloorTests
{
    private static readonly Version _floor = new(2, 17);

    [Fact]
    public void The_native_x86_64_binary_needs_no_glibc_newer_than_2_17()
    {
        var binary = NativeEnvship.Binary(NativeEnvship.LinuxX64);

        var imports = ElfSymbolVersions.GlibcImports(binary);
        Assert.NotEmpty(imports);
        var tooNew = imports.Where(import => import.Version > _floor).Select(import => $"{import.Symbol}@GLIBC_{import.Version}").ToList();
        Assert.True(tooNew.Count == 0, "imports newer than GLIBC_2.17: " + string.Join(", ", tooNew));
    }

    [Fact]
    public void The_native_x86_64_binary_loads_nothing_but_the_C_library()
    {
        var binary = NativeEnvship.Binary(NativeEnvship.LinuxX64);

        var needed = ElfSymbolVersions.NeededLibraries(binary);
        string[] glibc = ["libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2"];
        Assert.Contains("libc.so.6", needed);
        Assert.Empty(needed.Except(glibc, StringComparer.Ordinal));
        // The libraries where glibc kept pthread, dl and shm before 2.34 must be loaded, or their old versions are unresolved there.
        Assert.Contains("libpthread.so.0", needed);
        Assert.Contains("libdl.so.2", needed);
    }
}
