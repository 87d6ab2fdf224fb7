using System.Security.Cryptography;
using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Core.Archive;
using Envship.Core.Archive.Installer;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// linux-aarch64 (issue 14, part 3): an aarch64 environment packed here is labelled linux-aarch64 and refused
/// on x86-64; the aarch64 envship, cross-published on this machine, deploys it under qemu to a shorter and
/// a longer path, and the relocated aarch64 program runs from there.
/// </summary>
public sealed class Aarch64Tests(Aarch64Environment env) : IClassFixture<Aarch64Environment>
{
    private static readonly ElfTarget _aarch64 = ElfTarget.LinuxAarch64;
    private static readonly TimeSpan _underQemu = TimeSpan.FromMinutes(5);

    [Fact]
    public void An_aarch64_environment_packed_on_x86_64_is_labelled_linux_aarch64_and_refused_here_before_writing()
    {
        var archive = env.Pack("refused.tar.zst");
        var platform = ArchiveReader.ReadManifestOnly(archive).Platform;
        Assert.Equal(("linux-aarch64", "linux", "aarch64"), (platform.Subdir, platform.Os, platform.Arch));
        Assert.Contains("# platform: linux-aarch64\n", CliRunner.RunOk("export", archive, "--format", "explicit").StdOut, StringComparison.Ordinal);
        var parent = env.Work.CreateDirectory("refused-parent");

        var result = CliRunner.Run("deploy", archive, "--prefix", Path.Combine(parent, "env"));

        Assert.Equal((int)ExitCode.PlatformMismatch, result.ExitCode);
        Assert.Contains("built for linux-aarch64 (linux/aarch64) but this machine is linux-64", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("nothing was written", result.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    [Fact]
    public void The_aarch64_envship_under_qemu_deploys_an_archive_packed_here_to_a_shorter_and_a_longer_path()
    {
        var envship = NativeEnvship.Binary(NativeEnvship.LinuxArm64);
        Assert.Matches(@"^\d+\.\d+\.\d+", Qemu(envship, "--version"));
        var archive = env.Pack("round-trip.tar.zst");
        Assert.Contains("platform:      linux-aarch64 (linux/aarch64)", Qemu(envship, "inspect", archive), StringComparison.Ordinal);

        var source = env.Prefix;
        var shorter = env.Work.Combine("s");
        var longer = env.Work.Combine("a-destination-path-much-longer-than-the-prefix-it-was-packed-from", "aarch64-environment");
        Assert.True(shorter.Length < source.Length && longer.Length > source.Length);
        var hidden = source + ".moved-away";
        Directory.Move(source, hidden);
        try
        {
            foreach (var destination in new[] { shorter, longer })
            {
                Qemu(envship, "deploy", archive, "--prefix", destination, "-q");

                Assert.Contains("clean", Qemu(envship, "verify", destination), StringComparison.Ordinal);
                var program = Path.Combine(destination, env.Greeter.ExecutableRelativePath);
                var runPath = ElfTools.ReadDynamic(program).RunPath;
                Assert.True(runPath is not null && runPath.StartsWith(destination + "/", StringComparison.Ordinal), $"RUNPATH {runPath} is not inside {destination}");
                // The library exists nowhere but in the destination now, so its message shows the RUNPATH found it there.
                var run = _aarch64.RunChecked(program, [], timeout: _underQemu);
                Assert.Equal($"{ElfProgramBuilder.GreetMessage}\n{destination}/share/greeter\n", run.StdOut);
                Assert.Contains($"data_dir={destination}/share/greeter", File.ReadAllText(Path.Combine(destination, "share", "greeter", "greeter.conf")), StringComparison.Ordinal);
                Assert.DoesNotContain(source, File.ReadAllText(Path.Combine(destination, CondaPrefixBuilder.ExampleConf)), StringComparison.Ordinal);
            }

            // The aarch64 envship packs too, and labels what it packs as the x86-64 one does.
            var repacked = env.Work.Combine("repacked.tar.zst");
            Qemu(envship, "pack", "-p", shorter, "-o", repacked, "-q");
            Assert.Equal("linux-aarch64", ArchiveReader.ReadManifestOnly(repacked).Platform.Subdir);
        }
        finally
        {
            Directory.Move(hidden, source);
        }
    }

    [Fact]
    public void An_installer_for_linux_aarch64_embeds_the_aarch64_envship_and_that_envship_deploys_from_it_under_qemu()
    {
        var envship = NativeEnvship.Binary(NativeEnvship.LinuxArm64);
        var archive = env.Pack("installer.tar.zst");
        var installer = env.Work.Combine("aarch64-environment.run");

        CliRunner.RunOk("bundle", archive, "-o", installer, "--target", "linux-aarch64", "--envship-binary", envship, "-q");

        var bytes = File.ReadAllBytes(installer);
        Assert.True(bytes.AsSpan().IndexOf(File.ReadAllBytes(envship)) > 0, "the installer does not embed the aarch64 envship");
        var destination = env.Work.Combine("from-installer", "env");
        Qemu(envship, "deploy", installer, "--prefix", destination, "-q");
        var program = Path.Combine(destination, env.Greeter.ExecutableRelativePath);
        Assert.Equal($"{ElfProgramBuilder.GreetMessage}\n{destination}/share/greeter\n", _aarch64.RunChecked(program, [], timeout: _underQemu).StdOut);

        // pack writes the same kind of installer in one step, and says which CPU it is for in the header.
        var packed = env.Work.Combine("packed-for-aarch64.run");
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", packed, "--format", "run", "--target", "linux-aarch64", "--envship-binary", envship, "-q");
        var layout = InstallerLayout.TryRead(packed)!;
        Assert.Equal(InstallerTarget.LinuxAarch64, layout.Target);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(envship))), layout.Binary.Sha256);
        var packedDestination = env.Work.Combine("from-packed-installer", "a", "longer", "env");
        Qemu(envship, "deploy", packed, "--prefix", packedDestination, "-q");
        Assert.Contains("clean", Qemu(envship, "verify", packedDestination), StringComparison.Ordinal);
    }

    [Fact]
    public void The_native_aarch64_binary_needs_no_glibc_newer_than_2_17_and_nothing_but_the_C_library()
    {
        var binary = NativeEnvship.Binary(NativeEnvship.LinuxArm64);
        Assert.Contains("Machine:                           AArch64", ProcessRunner.RunChecked("readelf", ["-h", binary]).StdOut, StringComparison.Ordinal);

        var imports = ElfSymbolVersions.GlibcImports(binary);
        Assert.NotEmpty(imports);
        var tooNew = imports.Where(import => import.Version > new Version(2, 17)).Select(import => $"{import.Symbol}@GLIBC_{import.Version}").ToList();
        Assert.True(tooNew.Count == 0, "imports newer than GLIBC_2.17: " + string.Join(", ", tooNew));
        Assert.Equal(new Version(2, 17), ElfSymbolVersions.HighestGlibc(binary));

        var needed = ElfSymbolVersions.NeededLibraries(binary);
        string[] glibc = ["libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "ld-linux-aarch64.so.1"];
        Assert.Contains("libc.so.6", needed);
        Assert.Empty(needed.Except(glibc, StringComparer.Ordinal));
    }

    /// <summary>Runs the aarch64 envship under qemu and returns what it printed; fails the test on a non-zero exit.</summary>
    private static string Qemu(string envship, params string[] args)
    {
        var result = _aarch64.Run(envship, args, timeout: _underQemu);
        Assert.True(result.ExitCode == 0, $"envship {string.Join(' ', args)} under qemu exited {result.ExitCode}:\n{result.StdOut}\n{result.StdErr}");
        return result.StdOut + result.StdErr;
    }
}
