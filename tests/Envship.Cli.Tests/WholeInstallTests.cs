using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>Acceptance 4: a whole Miniconda-style installation with envs/ travels as one, without pkgs/.</summary>
public sealed class WholeInstallTests : IDisposable
{
    private readonly TempDirectory _work = new("envship-whole-");

    [Fact]
    public void Base_and_every_env_are_relocated_together_and_the_cache_stays_behind()
    {
        var root = _work.Combine("opt", "miniconda3");
        var install = WholeInstallBuilder.Build(root);
        var archive = _work.Combine("miniconda3.tar.zst");
        var pack = CliRunner.RunOk("pack", "-p", root, "-o", archive, "--json");
        Assert.Contains("\"whole_installation\": true", pack.StdOut, StringComparison.Ordinal);

        var members = ProcessRunner.RunChecked("tar", ["--zstd", "-tf", archive]).StdOut.Split('\n');
        Assert.DoesNotContain(members, m => m == "pkgs/" || m.StartsWith("pkgs/", StringComparison.Ordinal));
        Assert.Contains("envs/a/conda-meta/", members);
        Assert.Contains("envs/b/conda-meta/", members);
        var manifest = ArchiveReader.ReadManifestOnly(archive);
        Assert.Equal(["", "envs/a", "envs/b"], manifest.Environments.Select(e => e.Path));

        Directory.Move(root, root + ".moved-away");
        var destination = _work.Combine("srv", "shared", "conda", "miniconda3-relocated");
        var deploy = CliRunner.RunOk("deploy", archive, "--prefix", destination);
        Assert.Contains($"{destination}/etc/profile.d/conda.sh", deploy.StdOut, StringComparison.Ordinal);

        foreach (var name in new[] { "a", "b" })
        {
            var conf = File.ReadAllText(Path.Combine(destination, "envs", name, CondaPrefixBuilder.ExampleConf));
            Assert.Contains($"{destination}/envs/{name}", conf, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(Path.Combine(destination, "pkgs")));
        var condaSh = File.ReadAllText(Path.Combine(destination, "etc/profile.d/conda.sh"));
        Assert.Contains(destination, condaSh, StringComparison.Ordinal);
        Assert.DoesNotContain(root, condaSh, StringComparison.Ordinal);
        var sourced = ProcessRunner.RunChecked("sh", ["-c", $". '{destination}/etc/profile.d/conda.sh' && echo \"$CONDA_EXE\""]);
        Assert.Equal($"{destination}/bin/conda", sourced.StdOut.Trim());

        var records = Directory.EnumerateFiles(Path.Combine(destination, "envs/a/conda-meta"), "*.json").Select(File.ReadAllText).ToList();
        Assert.NotEmpty(records);
        Assert.All(records, r => Assert.DoesNotContain("/pkgs/", r, StringComparison.Ordinal));
        Assert.Empty(TreeSnapshot.FilesContaining(destination, root));
        _ = install;
    }

    public void Dispose() => _work.Dispose();
}
