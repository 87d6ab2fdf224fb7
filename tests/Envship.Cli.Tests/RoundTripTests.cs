using System.Text;
using Envship.Cli.Tests.Fixtures;
using Envship.Testing;
using Xunit.Abstractions;

namespace Envship.Cli.Tests;

/// <summary>Acceptance 1, 2, 5 and 9: deploy to shorter, longer, deep and original paths with the source gone.</summary>
public sealed class RoundTripTests(PackedPythonEnvironment env, ITestOutputHelper log) : IClassFixture<PackedPythonEnvironment>
{
    [Fact]
    public void Deploys_to_a_shorter_path_and_everything_runs_from_there()
    {
        var destination = Path.Combine(Directory.CreateTempSubdirectory("es").FullName, "e");
        try
        {
            Assert.True(destination.Length < env.SourcePrefix.Length);
            AssertWorksFrom(destination);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(destination)!, recursive: true);
        }
    }

    [Fact]
    public void Deploys_to_a_longer_path_and_everything_runs_from_there()
    {
        var destination = env.Work.Combine("a-longer-destination-path", "for-the-relocated", "env");
        Assert.True(destination.Length > env.SourcePrefix.Length);
        Assert.True(2 + destination.Length + "/bin/python3.XX".Length <= 127, "this case must keep an absolute shebang");
        AssertWorksFrom(destination);

        var shebang = File.ReadLines(Path.Combine(destination, "bin/hello-env")).First();
        Assert.Equal($"#!{destination}/{env.Python}", shebang);
    }

    [Fact]
    public void A_shebang_longer_than_127_bytes_still_runs_the_environments_python()
    {
        var destination = env.Work.Combine("deep dir with spaces", new string('d', 100), "env");
        CliRunner.RunOk("deploy", env.Archive, "--prefix", destination, "-q");

        var script = Path.Combine(destination, "bin/hello-env");
        Assert.Equal("#!/bin/sh", File.ReadLines(script).First());
        var run = ProcessRunner.RunChecked(script, [], environment: PythonInstaller.CleanEnvironment()).StdOut.Split('\n');
        Assert.Equal(destination, run[0]);
        Assert.Equal($"{destination}/{env.Python}", run[1]);
    }

    [Fact]
    public void Deploying_to_the_original_path_relocates_nothing_and_is_byte_identical()
    {
        try
        {
            var result = CliRunner.RunOk("deploy", env.Archive, "--prefix", env.SourcePrefix, "--json");
            Assert.Contains("\"files_relocated\": 0", result.StdOut, StringComparison.Ordinal);

            var original = TreeSnapshot.Take(env.MovedSource);
            var deployed = TreeSnapshot.Take(env.SourcePrefix, p => p.StartsWith(".envship", StringComparison.Ordinal) || p is "bin/activate" or "bin/deactivate");
            Assert.Equal(original.Keys.Order(StringComparer.Ordinal), deployed.Keys.Order(StringComparer.Ordinal));
            foreach (var (path, entry) in original)
            {
                var copy = deployed[path];
                if (IsCondaRecord(path))
                {
                    AssertOnlyCachePathsBlanked(Path.Combine(env.MovedSource, path), Path.Combine(env.SourcePrefix, path));
                }
                else
                {
                    Assert.True(entry.Sha256 == copy.Sha256, $"{path} differs");
                }

                Assert.True(entry.Kind == copy.Kind, $"{path}: kind differs");
                if (path != env.Built.AbsoluteLinkRelativePath)
                {
                    Assert.True(entry.LinkTarget == copy.LinkTarget, $"{path}: link target differs");
                }
            }
        }
        finally
        {
            Directory.Delete(env.SourcePrefix, recursive: true);
        }
    }

    [Fact]
    public void Modes_mtimes_symlinks_and_hard_links_survive_a_relocating_round_trip()
    {
        var destination = env.Work.Combine("metadata-check", "env");
        CliRunner.RunOk("deploy", env.Archive, "--prefix", destination, "-q");

        var original = TreeSnapshot.Take(env.MovedSource);
        var deployed = TreeSnapshot.Take(destination, p => p.StartsWith(".envship", StringComparison.Ordinal) || p is "bin/activate" or "bin/deactivate");
        Assert.Equal(original.Count, deployed.Count);
        foreach (var (path, entry) in original)
        {
            var copy = deployed[path];

            // By default a deploy drops setuid, setgid, sticky and o+w (conda packages ship some 0666 headers).
            var expected = entry.Kind == Envship.Core.Platform.UnixFileKind.SymbolicLink ? entry.Mode : entry.Mode & ~Envship.Core.Deploy.PermissionPolicy.SpecialBits;
            Assert.True(expected == copy.Mode, $"{path}: mode {Convert.ToString(entry.Mode, 8)} became {Convert.ToString(copy.Mode, 8)}");
            Assert.True(entry.MtimeNs == copy.MtimeNs, $"{path}: mtime {entry.MtimeNs} became {copy.MtimeNs}");
            Assert.Equal(entry.Kind, copy.Kind);
        }

        Assert.Equal(deployed[CondaPrefixBuilder.HardLinkA].Inode, deployed[CondaPrefixBuilder.HardLinkB].Inode);
        Assert.Equal(original[CondaPrefixBuilder.RelativeLink].LinkTarget, deployed[CondaPrefixBuilder.RelativeLink].LinkTarget);
        Assert.Equal("/usr/lib", deployed[CondaPrefixBuilder.OutsideLink].LinkTarget);
        var absoluteLink = deployed[env.Built.AbsoluteLinkRelativePath].LinkTarget!;
        Assert.False(Path.IsPathRooted(absoluteLink), "an absolute symlink into the prefix must become relative");
        Assert.True(File.Exists(Path.Combine(destination, env.Built.AbsoluteLinkRelativePath)), "the relative symlink must resolve inside the destination");
        Assert.Equal(CondaPrefixBuilder.OldFileTime, File.GetLastWriteTimeUtc(Path.Combine(destination, CondaPrefixBuilder.OldFile)));
    }

    private static bool IsCondaRecord(string path) => path.StartsWith("conda-meta/", StringComparison.Ordinal) && path.EndsWith(".json", StringComparison.Ordinal);

    /// <summary>Pack blanks the cache paths that would dangle on the target; nothing else in a record may change.</summary>
    private static void AssertOnlyCachePathsBlanked(string original, string deployed)
    {
        var expected = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(original))!.AsObject();
        var actual = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(deployed))!.AsObject();
        Assert.Equal("", actual["extracted_package_dir"]?.GetValue<string>());
        Assert.Equal("", actual["package_tarball_full_path"]?.GetValue<string>());
        expected["extracted_package_dir"] = "";
        expected["package_tarball_full_path"] = "";
        if (expected["link"] is System.Text.Json.Nodes.JsonObject link)
        {
            link["source"] = "";
        }

        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(expected, actual), $"{deployed}: more than the cache paths changed");
    }

    private void AssertWorksFrom(string destination)
    {
        var deploy = CliRunner.RunOk("deploy", env.Archive, "--prefix", destination);
        log.WriteLine(deploy.All);
        Assert.Contains($". '{destination}/bin/activate'", deploy.StdOut, StringComparison.Ordinal);
        var clean = PythonInstaller.CleanEnvironment();

        var python = ProcessRunner.RunChecked(
            Path.Combine(destination, env.Python),
            ["-c", "import sys, os, json, decimal, hashlib; print(sys.prefix); print(os.__file__)"],
            environment: clean);
        var lines = python.StdOut.Split('\n');
        Assert.Equal(destination, lines[0]);
        Assert.StartsWith(destination + "/lib/", lines[1], StringComparison.Ordinal);

        var runpath = ElfTools.ReadDynamic(Path.Combine(destination, env.Python));
        Assert.DoesNotContain(env.SourcePrefix, (runpath.RunPath ?? "") + (runpath.RPath ?? ""), StringComparison.Ordinal);

        var script = ProcessRunner.RunChecked(Path.Combine(destination, "bin/hello-env"), [], environment: clean).StdOut.Split('\n');
        Assert.Equal(destination, script[0]);
        Assert.Equal($"{destination}/{env.Python}", script[1]);

        var greeter = Path.Combine(destination, env.Built.Greeter!.ExecutableRelativePath);
        Assert.Equal(Path.Combine(destination, env.Built.Greeter.LibraryRelativePath), Ldd.Resolve(greeter, Path.GetFileName(env.Built.Greeter.LibraryRelativePath)));
        var greeting = ProcessRunner.RunChecked(greeter, []);
        Assert.Contains(ElfProgramBuilder.GreetMessage, greeting.StdOut, StringComparison.Ordinal);
        Assert.Contains(destination + "/share/greeter", greeting.StdOut, StringComparison.Ordinal);

        Assert.Contains(destination, File.ReadAllText(Path.Combine(destination, CondaPrefixBuilder.ExampleConf)), StringComparison.Ordinal);
        Assert.Contains(
            Directory.EnumerateFiles(Path.Combine(destination, "conda-meta")),
            f => File.ReadAllText(f, Encoding.UTF8).Contains(destination, StringComparison.Ordinal));

        Assert.Empty(TreeSnapshot.FilesContaining(destination, env.SourcePrefix));
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
    }
}
