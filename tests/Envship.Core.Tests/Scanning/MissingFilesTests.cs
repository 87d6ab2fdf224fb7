using Envship.Core.Conda;
using Envship.Core.Scanning;
using Envship.Testing;

namespace Envship.Core.Tests.Scanning;

public sealed class MissingFilesTests
{
    [Fact]
    public void Only_listed_files_that_exist_by_no_path_are_missing()
    {
        using var prefix = new TempDirectory();
        prefix.WriteFile("lib/real/present.txt", "here");
        prefix.WriteFile("share/excluded.txt", "left out by the filter, but there");
        File.CreateSymbolicLink(prefix.Combine("lib", "alias"), "real");
        prefix.WriteFile(
            "conda-meta/pkg-1.0-0.json",
            """
            {"name": "pkg", "version": "1.0", "build": "0", "files": [
              "lib/real/present.txt", "lib/alias/present.txt", "share/excluded.txt", "bin/gone", "lib/real/gone-too"]}
            """);
        var layout = InstallationLayout.Detect(prefix.Path);
        var environments = EnvironmentSurvey.Survey(prefix.Path, layout);
        var plan = PrefixInventory.Plan(new ScanOptions { Prefix = prefix.Path, Filter = new PathFilter(["share/*"], []) });

        var missing = EnvironmentSurvey.FindMissingFiles(prefix.Path, environments, plan.Items);

        // Through the symlinked directory and behind the filter, the files exist: only the two absent ones count.
        Assert.Equal(["bin/gone", "lib/real/gone-too"], missing);
    }

    [Theory]
    [InlineData("lib/python3.11/site-packages/a/__pycache__/b.cpython-311.pyc", true)]
    [InlineData("__pycache__/x.cpython-311.pyc", true)]
    [InlineData("envs/e/lib/python3.12/__pycache__/os.cpython-312.opt-1.pyc", true)]
    [InlineData("lib/python3.11/site-packages/a/b.pyc", false)]
    [InlineData("lib/python3.11/site-packages/a/__pycache__/notes.txt", false)]
    [InlineData("lib/not__pycache__/x.pyc", false)]
    public void Bytecode_caches_are_pyc_files_in_pycache_directories(string path, bool expected) =>
        Assert.Equal(expected, EnvironmentSurvey.IsBytecodeCache(path));
}
