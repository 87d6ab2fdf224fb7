using Envship.Testing;

namespace Envship.Cli.Tests.Fixtures;

/// <summary>
/// An aarch64 conda environment built on this x86-64 machine: the conda-style <c>greeter</c> (compiled by
/// aarch64-linux-gnu-gcc against conda-build's padded placeholder, RUNPATH and a string constant naming
/// the prefix, recorded with subdir <c>linux-aarch64</c>) and the files no package owns.
/// </summary>
public sealed class Aarch64Environment : IDisposable
{
    public Aarch64Environment()
    {
        Work = new TempDirectory("envship-aarch64-");
        Built = CondaPrefixBuilder.Build(Work.Combine("src", "aarch64-environment"), new CondaPrefixOptions
        {
            WithElf = true,
            Target = ElfTarget.LinuxAarch64,
            PkgsCacheDirectory = Work.Combine("pkgs"),
        });
    }

    public TempDirectory Work { get; }
    public BuiltPrefix Built { get; }
    public string Prefix => Built.Prefix;
    public ElfProgram Greeter => Built.Greeter!;

    /// <summary>Packs the environment with the x86-64 envship (in process) and returns the archive's path.</summary>
    public string Pack(string name)
    {
        var archive = Work.Combine(name);
        CliRunner.RunOk("pack", "-p", Prefix, "-o", archive, "-q");
        return archive;
    }

    public void Dispose() => Work.Dispose();
}
