using Envship.Core.Exports;

namespace Envship.Core.Tests.Exports;

public sealed class RequestedSpecsTests
{
    [Fact]
    public void Later_transactions_replace_and_remove_specs_by_name()
    {
        const string History = """
            ==> 2025-01-01 00:00:00 <==
            +conda-forge/linux-64::python-3.12.0-h1_0
            # update specs: ['python=3.12', 'numpy']
            ==> 2025-01-02 00:00:00 <==
            # install specs: ["python=3.13", 'conda-forge::requests >=2']
            ==> 2025-01-03 00:00:00 <==
            # remove specs: ['numpy']
            """;
        Assert.Equal(["python=3.13", "conda-forge::requests >=2"], RequestedSpecs.Parse(History));
    }

    [Fact]
    public void Histories_without_spec_lines_fall_back_to_the_linked_package_names()
    {
        Assert.Equal(["python", "ca-certificates"], RequestedSpecs.Parse("+conda-forge/linux-64::python-3.12.0-h1_0\n+defaults/noarch::ca-certificates-2025.1.31-h0_0\n"));
    }
}
