using Envship.Testing;

namespace Envship.Cli.Tests.Fixtures;

/// <summary>
/// A small environment whose conda-meta says what a conda-forge PyTorch environment says about CUDA
/// (<c>cuda-version 12.4</c> constraining <c>__cuda &gt;=12</c>, <c>pytorch</c> depending on <c>__cuda</c>), packed once,
/// and fake drivers built with gcc for CUDA 11.8 and 12.4, plus an empty directory for "no driver".
/// </summary>
public sealed class CudaEnvironment : IDisposable
{
    public CudaEnvironment()
    {
        Work = new TempDirectory("envship-cuda-");
        Prefix = Work.Combine("src", "torch-env");
        Directory.CreateDirectory(Path.Combine(Prefix, "conda-meta"));
        File.WriteAllText(Path.Combine(Prefix, "conda-meta", "history"), "");
        Directory.CreateDirectory(Path.Combine(Prefix, "share", "torch"));
        File.WriteAllText(Path.Combine(Prefix, "share", "torch", "site.txt"), $"prefix={Prefix}\n");
        CondaMetaWriter.Write(Prefix, CondaMetaRecord.MetadataOnly("cuda-version", "12.4", "h3060b56_3", "noarch", [], ["cudatoolkit 12.4|12.4.*", "__cuda >=12"]));
        CondaMetaWriter.Write(Prefix, CondaMetaRecord.MetadataOnly("pytorch", "2.3.1", "cuda120_py312h26b3cf7_300", "linux-64", ["__cuda", "__glibc >=2.17,<3.0.a0", "cuda-version >=12.0,<13", "libcublas >=12.0.1.189,<13.0a0"], []));
        Archive = Work.Combine("torch.tar.zst");
        CliRunner.RunOk("pack", "-p", Prefix, "-o", Archive, "-q");
        Driver118 = FakeCudaDriver.Build(Work.Path, 11080);
        Driver124 = FakeCudaDriver.Build(Work.Path, 12040);
        NoDriver = Work.CreateDirectory("no-driver");
    }

    /// <summary>What preflight names as the environment's need.</summary>
    public const string RequiredBy = "cuda-version 12.4 constrains '__cuda >=12'";

    public TempDirectory Work { get; }
    public string Prefix { get; }
    public string Archive { get; }

    /// <summary>Directories to put on <c>LD_LIBRARY_PATH</c>.</summary>
    public string Driver118 { get; }

    /// <inheritdoc cref="Driver118"/>
    public string Driver124 { get; }

    /// <summary>An empty directory: with it as <c>LD_LIBRARY_PATH</c> a machine without a driver finds none.</summary>
    public string NoDriver { get; }

    public void Dispose() => Work.Dispose();
}
