using System.Text.Json.Nodes;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// The native envship on an older distribution: inside a Debian 11 root (glibc 2.31, as on Ubuntu 20.04),
/// with that root's own loader and libc, it packs, deploys and verifies an environment whose python is
/// bullseye's own, and the relocated console script runs.
/// </summary>
public sealed class OlderDistributionTests
{
    [DebianRootFact]
    public void The_native_binary_packs_deploys_and_verifies_inside_debian_11_with_the_source_hidden()
    {
        var root = DebianRoot.Bullseye;
        // What the root's programs link against: the claim "runs on glibc 2.31" rests on this.
        Assert.Equal($"glibc {root.GlibcVersion}", root.RunChecked(["getconf", "GNU_LIBC_VERSION"]).StdOut.Trim());
        Assert.True(File.Exists(root.HostPath($"/lib/x86_64-linux-gnu/libc-{root.GlibcVersion}.so")), "the root's libc is not glibc " + root.GlibcVersion);

        using var work = root.CreateWorkspace();
        var envship = work.Combine("envship");
        File.Copy(NativeEnvship.Binary(), work.HostPath(envship));
        BuildEnvironmentAroundTheRootsPython(root, work);

        var source = work.Combine("src", "env");
        var archive = work.Combine("env.tar.zst");
        Envship(root, envship, "pack", "-p", source, "-o", archive, "-q");
        root.RunChecked(["mv", work.Combine("src"), work.Combine("hidden-source")]);
        Assert.False(Directory.Exists(work.HostPath(source)), "the source is still where the archive was packed from");

        var destination = work.Combine("deployed", "on-a-machine-with-an-older-glibc", "env");
        Envship(root, envship, "deploy", archive, "--prefix", destination, "-q");
        Assert.Contains("clean", Envship(root, envship, "verify", destination), StringComparison.Ordinal);

        // The pip-style console script: its shebang now names DEST's interpreter, and it runs.
        var greet = destination + "/bin/greet";
        Assert.Equal($"#!{destination}/bin/python3.9", File.ReadLines(work.HostPath(greet)).First());
        Assert.Equal("hello from greeting\n", root.RunChecked([greet]).StdOut);

        // A script of the same kind that says where it runs from: DEST, with bullseye's python and stdlib.
        var hello = root.RunChecked([destination + "/bin/hello-env"]).StdOut.Split('\n');
        Assert.Equal(destination, hello[0]);
        Assert.Equal($"{destination}/bin/python3.9", hello[1]);
        var checks = JsonNode.Parse(hello[2])!.AsObject();
        Assert.Equal("3.30", checks["decimal"]!.GetValue<string>());
        Assert.StartsWith($"{destination}/lib/python3.9/", checks["os"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [DebianRootFact]
    public void The_minimal_path_offers_sh_and_coreutils_but_no_python_tar_zstd_or_dotnet()
    {
        var root = DebianRoot.Bullseye;
        using var work = root.CreateWorkspace();
        // The root itself has python3 and tar: only the PATH keeps them out of reach.
        Assert.True(File.Exists(root.HostPath("/usr/bin/python3")) && File.Exists(root.HostPath("/bin/tar")), "the root lacks python3 or tar");

        var result = root.RunWithMinimalPath(work, """
            for tool in python3 tar zstd dotnet; do
              if command -v "$tool"; then echo "reachable: $tool"; fi
            done
            for tool in sh sha256sum dd tail mktemp; do command -v "$tool"; done
            echo "PATH=$PATH"
            """);

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.StdOut}\n{result.StdErr}");
        Assert.DoesNotContain("reachable:", result.StdOut, StringComparison.Ordinal);
        var minimalPath = work.Combine("minimal-path");
        foreach (var tool in new[] { "sh", "sha256sum", "dd", "tail", "mktemp" })
            Assert.Contains($"{minimalPath}/{tool}\n", result.StdOut, StringComparison.Ordinal);
        Assert.Contains($"PATH={minimalPath}\n", result.StdOut, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 14, acceptance 3: the self-extracting installer on a machine with nothing installed. Inside the
    /// Debian 11 root, with a PATH of sh and coreutils only (no python, tar, zstd, gzip or dotnet), the
    /// .run deploys, and the relocated console script runs with the root's own python.
    /// </summary>
    [DebianRootFact]
    public void The_installer_deploys_inside_debian_11_with_nothing_but_sh_and_coreutils()
    {
        var root = DebianRoot.Bullseye;
        using var work = root.CreateWorkspace();
        BuildEnvironmentAroundTheRootsPython(root, work);
        // Packed where the prefix's paths are true (inside the root); bundled on the host, which needs no paths.
        var envship = work.Combine("envship");
        File.Copy(NativeEnvship.Binary(), work.HostPath(envship));
        var archive = work.Combine("env.tar.zst");
        Envship(root, envship, "pack", "-p", work.Combine("src", "env"), "-o", archive, "-q");
        var installer = work.Combine("env.run");
        Host("bundle", work.HostPath(archive), "-o", work.HostPath(installer), "--envship-binary", NativeEnvship.Binary());
        File.Delete(work.HostPath(archive));
        File.Delete(work.HostPath(envship));
        Directory.Move(work.HostPath(work.Combine("src")), work.HostPath(work.Combine("hidden-source")));

        var destination = work.Combine("opt", "installed-from-one-file", "env");
        var result = root.RunWithMinimalPath(work, $"""
            for tool in python3 tar zstd gzip dotnet; do
              if command -v "$tool" >/dev/null; then echo "reachable: $tool"; exit 99; fi
            done
            sh {installer} --prefix {destination} --json
            """, timeout: TimeSpan.FromMinutes(3));

        Assert.True(result.ExitCode == 0, $"the installer in the {root.Suite} root exited {result.ExitCode}:\n{result.StdOut}\n{result.StdErr}");
        Assert.Equal(destination, JsonNode.Parse(result.StdOut)!["destination"]!.GetValue<string>());
        Assert.Equal("hello from greeting\n", root.RunChecked([destination + "/bin/greet"]).StdOut);
        Assert.Equal(destination, root.RunChecked([destination + "/bin/hello-env"]).StdOut.Split('\n')[0]);
        // The binary's temporary copy is gone: nothing but the installer, the deploy and the test's own files.
        Assert.Empty(Directory.EnumerateFileSystemEntries(root.HostPath("/tmp"), "envship-run.*"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(work.HostPath(work.Combine("opt", "installed-from-one-file")), "envship-run.*"));
    }

    /// <summary>
    /// A conda prefix at ROOT-WORKSPACE/src/env around bullseye's python 3.9 (not the host's), with its standard
    /// library and pip-style console scripts, built at the path it has inside the root.
    /// </summary>
    private static void BuildEnvironmentAroundTheRootsPython(DebianRoot root, RootWorkspace work)
    {
        var built = work.BuildOnHost("src", directory => CondaPrefixBuilder.Build(directory + "/env", new CondaPrefixOptions
        {
            WithPython = true,
            PythonInterpreter = root.HostPath("/usr/bin/python3"),
            PkgsCacheDirectory = directory + "/pkgs",
        }));
        var python = built.Python!;
        Assert.StartsWith(root.Path + "/usr/bin/", python.SourceExecutable, StringComparison.Ordinal);
        Assert.Equal("3.9", python.Version);
    }

    private static void Host(params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == 0, $"envship {string.Join(' ', args)} exited {result.ExitCode}:\n{result.StdOut}\n{result.StdErr}");
    }

    private static string Envship(DebianRoot root, string envship, params string[] args)
    {
        var result = root.Run([envship, .. args], timeout: TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0,
            $"envship {string.Join(' ', args)} in the {root.Suite} root exited {result.ExitCode}:\n{result.StdOut}\n{result.StdErr}");
        return result.StdOut + result.StdErr;
    }
}
