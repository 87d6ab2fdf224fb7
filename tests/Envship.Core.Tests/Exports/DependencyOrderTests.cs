using Envship.Core.Exports;

namespace Envship.Core.Tests.Exports;

public sealed class DependencyOrderTests
{
    private static ExportPackage P(string name, params string[] depends) => new() { Name = name, Version = "1", Build = "0", Depends = depends };

    [Fact]
    public void Dependencies_come_first_and_ties_go_by_name()
    {
        var sorted = DependencyOrder.Sort([P("python", "libzlib >=1.3", "openssl", "__glibc >=2.17"), P("pip", "python >=3.9"), P("openssl", "ca-certificates"), P("libzlib"), P("ca-certificates")]);
        Assert.Equal(["ca-certificates", "libzlib", "openssl", "python", "pip"], sorted.Select(p => p.Name));
    }

    [Fact]
    public void Cycles_are_broken_by_name()
    {
        var sorted = DependencyOrder.Sort([P("b", "a"), P("a", "b"), P("c")]);
        Assert.Equal(["c", "a", "b"], sorted.Select(p => p.Name));
    }

    [Theory]
    [InlineData("libzlib >=1.3.1,<2.0a0", "libzlib")]
    [InlineData("python_abi 3.13.* *_cp313t", "python_abi")]
    [InlineData("conda-forge::numpy[version='>=1.26']", "numpy")]
    [InlineData("python=3.13", "python")]
    public void Spec_names(string spec, string name)
    {
        Assert.Equal(name, DependencyOrder.SpecName(spec));
    }
}
