using Envship.Core.Conda;
using Envship.Testing;

namespace Envship.Core.Tests.Conda;

/// <summary>
/// Issue 14 part 4: the driver an environment needs, from conda-meta records written the way conda writes them
/// (<see cref="CondaMetaWriter"/>), with the depends and constrains of the real conda-forge and defaults packages.
/// </summary>
public sealed class CudaRequirementTests : IDisposable
{
    private readonly TempDirectory _work = new("envship-cuda-");

    public void Dispose() => _work.Dispose();

    [Fact]
    public void The_real_records_constrains_are_read_and_name_no_cuda()
    {
        var records = CondaMeta.ReadRecords(RealEnvironment.Prefix);

        Assert.Equal(["python 3.13.* *_cp313t"], records.Single(r => r.Name == "python_abi").Constrains);
        Assert.Equal(["expat 2.6.4.*"], records.Single(r => r.Name == "libexpat").Constrains);
        Assert.Null(CudaRequirement.Of(records));
    }

    [Fact]
    public void A_conda_forge_pytorch_environment_needs_a_driver_for_the_major_version_cuda_version_constrains()
    {
        var records = Read(
            CondaMetaRecord.MetadataOnly("cuda-version", "12.4", "h3060b56_3", "noarch", constrains: ["cudatoolkit 12.4|12.4.*", "__cuda >=12"]),
            CondaMetaRecord.MetadataOnly("cuda-cudart", "12.4.127", "he02047a_2", "linux-64", depends: ["__glibc >=2.17,<3.0.a0", "cuda-cudart_linux-64 12.4.127 h85509e4_2", "cuda-version >=12.4,<12.5.0a0", "libgcc-ng >=12", "libstdcxx-ng >=12"]),
            CondaMetaRecord.MetadataOnly("pytorch", "2.3.1", "cuda120_py312h26b3cf7_300", "linux-64", depends: ["__cuda", "__glibc >=2.17,<3.0.a0", "cuda-version >=12.0,<13", "libcublas >=12.0.1.189,<13.0a0", "python >=3.12,<3.13.0a0"]));

        var need = CudaRequirement.Of(records);

        Assert.Equal(new CudaRequirement("12", "cuda-version 12.4 constrains '__cuda >=12'", "12.4"), need);
    }

    [Fact]
    public void The_highest_lower_bound_wins_and_names_its_package()
    {
        var records = Read(
            CondaMetaRecord.MetadataOnly("cuda-version", "12.4", "h3060b56_3", "noarch", constrains: ["cudatoolkit 12.4|12.4.*", "__cuda >=12"]),
            CondaMetaRecord.MetadataOnly("gpu-kernels", "1.0", "cuda128_0", "linux-64", depends: ["__cuda >=12.8", "cuda-version >=12.4,<13"]),
            CondaMetaRecord.MetadataOnly("jaxlib", "0.4.30", "cuda120py312h4008524_200", "linux-64", depends: ["__cuda", "cuda-version >=12.0,<13"]));

        var need = CudaRequirement.Of(records)!;

        Assert.Equal("12.8", need.MinDriver);
        Assert.Equal("gpu-kernels 1.0 depends on '__cuda >=12.8'", need.RequiredBy);
        Assert.Equal("12.4", need.Toolkit);
    }

    [Fact]
    public void A_bare_cuda_dependency_needs_a_driver_of_any_version()
    {
        var need = CudaRequirement.Of(Read(CondaMetaRecord.MetadataOnly("jaxlib", "0.4.30", "cuda120py312h4008524_200", "linux-64", depends: ["__cuda", "python >=3.12,<3.13.0a0"])));

        Assert.Equal(new CudaRequirement(null, "jaxlib 0.4.30 depends on '__cuda'", null), need);
    }

    [Theory]
    [InlineData("cudatoolkit", "11.3.1", "11", "11.3")]
    [InlineData("cudatoolkit", "10.2.89", "10.2", "10.2")]
    [InlineData("cuda-cudart", "12.1.105", "12", "12.1")]
    public void A_defaults_toolkit_without_a_cuda_spec_needs_a_driver_by_minor_version_compatibility(string name, string version, string driver, string toolkit)
    {
        // The defaults channel's cudatoolkit and the nvidia channel's cuda-cudart state no __cuda at all.
        var need = CudaRequirement.Of(Read(CondaMetaRecord.MetadataOnly(name, version, "h2bc3f7f_2", "linux-64", depends: ["__glibc >=2.17,<3.0.a0"])))!;

        Assert.Equal(driver, need.MinDriver);
        Assert.Equal(toolkit, need.Toolkit);
        Assert.StartsWith($"{name} {version} (CUDA {toolkit} runs on a driver for CUDA {driver} or newer)", need.RequiredBy, StringComparison.Ordinal);
    }

    [Fact]
    public void A_conda_forge_cudatoolkit_keeps_its_own_stricter_bound()
    {
        var need = CudaRequirement.Of(Read(CondaMetaRecord.MetadataOnly("cudatoolkit", "11.2.2", "hbe64b41_10", "linux-64", constrains: ["__cuda >=11.2.2"])))!;

        Assert.Equal("11.2.2", need.MinDriver);
        Assert.Equal("cudatoolkit 11.2.2 constrains '__cuda >=11.2.2'", need.RequiredBy);
    }

    [Theory]
    [InlineData("__cuda", null)]
    [InlineData("__cuda *", null)]
    [InlineData("__cuda >=11.8", "11.8")]
    [InlineData("__cuda>=12", "12")]
    [InlineData("__cuda >= 12.2", "12.2")]
    [InlineData("__cuda 12.*", "12")]
    [InlineData("__cuda =11.4", "11.4")]
    [InlineData("__cuda >=11.2,<13", "11.2")]
    [InlineData("__cuda <12", null)]
    [InlineData("__cuda >=11.2|>=12", "11.2")]
    [InlineData("__cuda >=12|<11", null)]
    [InlineData("__cuda >=12.0a0 *", "12.0")]
    [InlineData("__cuda[version='>=12.1']", "12.1")]
    public void Lower_bounds_of_cuda_specs(string spec, string? bound)
    {
        Assert.True(CudaRequirement.IsCudaSpec(spec));
        Assert.Equal(bound, CudaRequirement.LowerBound(spec));
    }

    [Theory]
    [InlineData("__cudaxx >=12")]
    [InlineData("cuda-version >=12.0,<13")]
    [InlineData("__glibc >=2.17")]
    public void Other_specs_are_not_cuda(string spec) => Assert.False(CudaRequirement.IsCudaSpec(spec));

    private IReadOnlyList<CondaPackageRecord> Read(params CondaMetaRecord[] records)
    {
        var prefix = _work.CreateDirectory($"env-{Guid.NewGuid():N}");
        foreach (var record in records)
        {
            CondaMetaWriter.Write(prefix, record);
        }

        return CondaMeta.ReadRecords(prefix);
    }
}
