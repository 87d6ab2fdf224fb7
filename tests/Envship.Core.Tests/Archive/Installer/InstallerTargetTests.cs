using Envship.Core.Archive.Installer;
using Envship.Core.Pack;
using Envship.Testing;

namespace Envship.Core.Tests.Archive.Installer;

/// <summary>An installer carries the native envship of its target's CPU, told by the ELF header's e_machine, never by the name.</summary>
public sealed class InstallerTargetTests : IDisposable
{
    private readonly TempDirectory _work = new("envship-target-");

    [Fact]
    public void An_aarch64_program_fits_only_the_aarch64_target()
    {
        var arm = Compile("aarch64-linux-gnu-gcc", "hello-arm");

        Assert.Null(InstallerTarget.LinuxAarch64.Mismatch(Head(arm)));
        Assert.Equal("is built for linux-aarch64, not linux-x86_64", InstallerTarget.LinuxX64.Mismatch(Head(arm)));
        Assert.Equal(arm, InstallerBinary.Resolve(InstallerTarget.LinuxAarch64, arm, new RunningEnvship(false, "/proc/self/exe", [])));
        var refused = Assert.Throws<EnvshipException>(() => InstallerBinary.Resolve(InstallerTarget.LinuxX64, arm, new RunningEnvship(false, "/proc/self/exe", [])));
        Assert.Equal(ExitCode.Usage, refused.Code);
        Assert.Contains($"--envship-binary {arm} is built for linux-aarch64", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_x86_64_program_fits_only_the_x86_64_target_and_a_script_fits_none()
    {
        var x64 = Compile("gcc", "hello-x64");
        var script = _work.WriteFile("envship", "#!/bin/sh\necho not a binary\n");

        Assert.Null(InstallerTarget.LinuxX64.Mismatch(Head(x64)));
        Assert.Equal("is built for linux-x86_64, not linux-aarch64", InstallerTarget.LinuxAarch64.Mismatch(Head(x64)));
        Assert.Equal("is not an ELF executable", InstallerTarget.LinuxX64.Mismatch(Head(script)));
    }

    [Fact]
    public void Without_a_flag_the_build_beside_envship_is_taken_and_otherwise_the_flag_is_named()
    {
        var beside = _work.CreateDirectory("beside");
        var arm = Compile("aarch64-linux-gnu-gcc", "envship-linux-aarch64");
        File.Copy(arm, Path.Combine(beside, "envship-linux-aarch64"));
        var running = new RunningEnvship(IsNative: false, "/proc/self/exe", [beside]);

        Assert.Equal(Path.Combine(beside, "envship-linux-aarch64"), InstallerBinary.Resolve(InstallerTarget.LinuxAarch64, null, running));
        var refused = Assert.Throws<EnvshipException>(() => InstallerBinary.Resolve(InstallerTarget.LinuxX64, null, running));
        Assert.Equal(ExitCode.Usage, refused.Code);
        Assert.Contains("--envship-binary PATH", refused.Message, StringComparison.Ordinal);
        Assert.Contains("envship-linux-x86_64", refused.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _work.Dispose();

    private string Compile(string compiler, string name)
    {
        var source = _work.WriteFile(name + ".c", "int main(void) { return 0; }\n");
        var output = _work.Combine(name);
        ProcessRunner.RunChecked(compiler, ["-o", output, source]);
        return output;
    }

    private static byte[] Head(string path) => File.ReadAllBytes(path).Take(64).ToArray();
}
