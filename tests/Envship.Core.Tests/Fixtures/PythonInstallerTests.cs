using System.Runtime.Versioning;
using Envship.Testing;

namespace Envship.Core.Tests.Fixtures;

[SupportedOSPlatform("linux")]
public sealed class PythonInstallerTests : IDisposable
{
    private const string DebianPython = "/usr/bin/python3";
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Static_debian_python_also_runs_from_the_prefix()
    {
        // The fallback only exists where Debian's interpreter does; elsewhere there is nothing to prove.
        if (!File.Exists(DebianPython))
            return;
        var prefix = _temp.Combine("static");
        var python = PythonInstaller.Install(prefix, new PythonInstallOptions { Interpreter = DebianPython });

        var result = ProcessRunner.RunChecked(Path.Combine(prefix, python.ExecutableRelativePath),
            ["-c", "import json, os; print(os.__file__)"], environment: PythonInstaller.CleanEnvironment());
        Assert.StartsWith(prefix + "/", result.StdOut.Trim(), StringComparison.Ordinal);
        Assert.Equal("hello from greeting\n",
            ProcessRunner.RunChecked(Path.Combine(prefix, "bin", "greet"), [], environment: PythonInstaller.CleanEnvironment()).StdOut);
        Assert.Equal(prefix + "/lib", ElfTools.ReadDynamic(Path.Combine(prefix, python.ExecutableRelativePath)).RunPath);
        Assert.True(File.Exists(python.RecordPath));
    }
}
