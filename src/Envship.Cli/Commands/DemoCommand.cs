using System.CommandLine;
using System.Diagnostics;
using Envship.Cli.Demo;
using Envship.Cli.Rendering;
using Envship.Core;
using Envship.Core.Archive;
using Envship.Core.Deploy;

namespace Envship.Cli.Commands;

/// <summary>The main job on its embedded default: build a sample environment, pack it, deploy it elsewhere, verify it, run it.</summary>
internal static class DemoCommand
{
    public static Command Create(CliConsole console, CancellationToken cancellationToken)
    {
        var workdir = new Option<string?>("--workdir") { Description = "Where to build, pack and deploy (default: a new directory under the system temp)." };
        var command = new Command("demo", "Build a sample environment, pack it, deploy it to another path, verify it and run it.") { workdir };
        command.SetAction(parse =>
        {
            try
            {
                var work = parse.GetValue(workdir) is { } given ? Path.GetFullPath(given) : Directory.CreateTempSubdirectory("envship-demo-").FullName;
                var source = Path.Combine(work, "source", "sample-env");
                var archive = Path.Combine(work, "sample-env.tar.zst");
                var destination = Path.Combine(work, "deployed", "a-much-longer-path", "sample-env");

                SampleEnvironment.Create(source);
                console.Line($"1. built a sample conda environment at {source}");

                var clock = Stopwatch.StartNew();
                var packed = EnvironmentPacker.Pack(new PackOptions { Prefix = source, Output = archive }, cancellationToken);
                console.Line($"2. packed {packed.Manifest.Summary.Files} files into {archive} ({ProgressDisplay.Bytes(packed.ArchiveBytes)}) in {clock.Elapsed.TotalMilliseconds:0} ms");

                Directory.Move(source, source + ".moved-away");
                clock.Restart();
                var deployed = Deployer.Deploy(new DeployOptions { ArchivePath = archive, Destination = destination }, cancellationToken);
                console.Line($"3. moved the source away and deployed to {destination}: {deployed.FilesRelocated} files relocated, manifest sha256 {deployed.ManifestSha256[..16]}..., {clock.Elapsed.TotalMilliseconds:0} ms");

                var report = PrefixVerifier.Verify(destination, cancellationToken: cancellationToken);
                console.Line($"4. verify: {(report.IsClean ? "clean" : "DRIFT")}, {report.Checked} entries checked");

                var hello = RunHello(destination);
                console.Line($"5. ran {SampleEnvironment.HelloScript} through its relocated shebang: {hello.Trim()}");
                var ok = report.IsClean && hello.Contains(destination, StringComparison.Ordinal);
                console.Line(ok ? $"Demo succeeded. Activate with:  {deployed.ActivationCommand}" : "Demo FAILED: see the lines above.");
                return ok ? 0 : (int)ExitCode.Unexpected;
            }
            catch (Exception ex)
            {
                return EnvshipApp.Fail(ex, console);
            }
        });
        return command;
    }

    private static string RunHello(string destination)
    {
        using var process = Process.Start(new ProcessStartInfo(Path.Combine(destination, SampleEnvironment.HelloScript)) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}
