using Envship.Testing;

namespace Envship.Cli.Tests.Fixtures;

/// <summary>A quick environment without Python: real conda packages, a conda-built ELF program and a tight one.</summary>
public sealed class SmallEnvironment : IDisposable
{
    public SmallEnvironment()
    {
        Work = new TempDirectory("envship-small-");
        Built = Build(Work.Combine("src", "small-env"));
    }

    public TempDirectory Work { get; }
    public BuiltPrefix Built { get; }
    public string Prefix => Built.Prefix;

    /// <summary>Builds another copy under this fixture's directory, for tests that change the environment.</summary>
    public BuiltPrefix Build(string prefix) => CondaPrefixBuilder.Build(prefix, new CondaPrefixOptions
    {
        WithElf = true,
        WithTightElf = true,
        WithRealPackages = true,
        PkgsCacheDirectory = Work.Combine("pkgs-" + Path.GetFileName(prefix)),
    });

    public string Pack(string name, params string[] extra)
    {
        var archive = Work.Combine(name);
        CliRunner.RunOk(["pack", "-p", Prefix, "-o", archive, "-q", .. extra]);
        return archive;
    }

    public void Dispose() => Work.Dispose();
}
