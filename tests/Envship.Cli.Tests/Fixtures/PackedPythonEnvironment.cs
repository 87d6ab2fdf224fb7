using System.Diagnostics;
using Envship.Testing;

namespace Envship.Cli.Tests.Fixtures;

/// <summary>
/// A realistic environment (a copied real Python, a conda-built ELF program, real conda packages),
/// packed as tar.zst and as tar.gz, each with two threads and with one, then moved away so nothing can load from its path.
/// </summary>
public sealed class PackedPythonEnvironment : IDisposable
{
    public PackedPythonEnvironment()
    {
        Work = new TempDirectory("envship-e2e-");
        SourcePrefix = Work.Combine("source", "conda-env-with-python");
        Built = CondaPrefixBuilder.Build(SourcePrefix, new CondaPrefixOptions
        {
            WithPython = true,
            WithElf = true,
            WithRealPackages = true,
            PkgsCacheDirectory = Work.Combine("pkgs"),
        });

        Archive = Work.Combine("env.tar.zst");
        var clock = Stopwatch.StartNew();
        CliRunner.RunOk("pack", "-p", SourcePrefix, "-o", Archive, "-q", "-j", "2");
        PackTime = clock.Elapsed;
        ArchiveAgain = Work.Combine("env-again.tar.zst");
        CliRunner.RunOk("pack", "-p", SourcePrefix, "-o", ArchiveAgain, "-q", "-j", "1");
        GzipArchive = Work.Combine("env.tar.gz");
        CliRunner.RunOk("pack", "-p", SourcePrefix, "-o", GzipArchive, "--format", "tar.gz", "-q", "-j", "2");
        GzipArchiveOneThread = Work.Combine("env-one-thread.tar.gz");
        CliRunner.RunOk("pack", "-p", SourcePrefix, "-o", GzipArchiveOneThread, "--format", "tar.gz", "-q", "-j", "1");

        MovedSource = SourcePrefix + ".moved-away";
        Directory.Move(SourcePrefix, MovedSource);
    }

    public TempDirectory Work { get; }

    /// <summary>The path the environment was packed from; free after construction.</summary>
    public string SourcePrefix { get; }
    public string MovedSource { get; }
    public BuiltPrefix Built { get; }
    public string Archive { get; }
    /// <summary>The same pack as <see cref="Archive"/>, with one thread instead of two.</summary>
    public string ArchiveAgain { get; }
    public string GzipArchive { get; }
    public string GzipArchiveOneThread { get; }
    public TimeSpan PackTime { get; }

    public string Python => Built.Python!.ExecutableRelativePath;

    public void Dispose() => Work.Dispose();
}
