using Envship.Core.Exports;
using Envship.Testing;

namespace Envship.Core.Tests.Exports;

public sealed class PipSelectionTests
{
    [Fact]
    public void Only_distributions_conda_does_not_manage_are_listed_under_pip()
    {
        using var work = new TempDirectory("envship-pip-select-");
        var site = "lib/python3.12/site-packages";
        work.WriteFile("conda-meta/foo-1.0-py_0.json", $$"""
            {"name": "foo", "version": "1.0", "build": "py_0", "channel": "https://conda.anaconda.org/conda-forge/noarch",
             "subdir": "noarch", "files": ["{{site}}/foo-1.0.dist-info/METADATA"]}
            """);
        foreach (var (name, version, installer) in new[] { ("foo", "1.0", "pip"), ("bar", "2.0", "conda"), ("baz", "3.0", "uv"), ("qux", "4.0", "") })
        {
            work.WriteFile($"{site}/{name}-{version}.dist-info/METADATA", $"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n");
            if (installer.Length > 0)
                work.WriteFile($"{site}/{name}-{version}.dist-info/INSTALLER", installer + "\n");
        }

        var model = ExportSource.FromPrefix(work.Path, null);
        Assert.Equal(["baz==3.0", "qux==4.0"], model.PipDistributions.Select(d => $"{d.Name}=={d.Version}"));
        Assert.Equal("conda-forge", model.Packages.Single().Channel);
        Assert.Equal(new FileInfo(work.Combine(site, "foo-1.0.dist-info", "METADATA")).Length, model.Packages.Single().InstalledSize);
    }
}
