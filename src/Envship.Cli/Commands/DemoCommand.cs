using System.CommandLine;
using System.Diagnostics;
using Envship.Cli.Demo;
using Envship.Cli.Rendering;
using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core;

namespace Envship.Cli.Commands;

/// <summary>The main job on its embedded default: build a sample environment, pack it, deploy it elsewhere, verify it, run it.</summary>
internal static class DemoCommand
{
    private const string SourceDirectory = "source";
    private const string ArchiveName = "sample-env.tar.zst";
    private const string DeployDirectory = "deployed";

    public static Command Create(CliConsole console, CancellationToken cancellationToken)
    {
        var workdir = new Option<string?>("--workdir") { Description = "Where to build, pack and deploy (default: a new directory under the system temp)." };
        var keep = new Option<bool>("--keep") { Description = "Keep the sample, the archive and the deployed tree, and print where they are (removed by default)." };
        var command = new Command("demo", "Build a sample environment, pack it, deploy it to another path, verify it and run it.") { workdir, keep };
        command.SetAction(parse =>
        {
            string? work = null;
            var madeWork = false;
            try
            {
                if (parse.GetValue(workdir) is { } given)
                {
                    work = Path.GetFullPath(given);
                    madeWork = !Directory.Exists(work);
                    Directory.CreateDirectory(work);
                }
                else
                {
                    work = Directory.CreateTempSubdirectory("envship-demo-").FullName;
                    madeWork = true;
                }

                return Run(console, work, cancellationToken);
            }
            catch (Exception ex)
            {
                return EnvshipApp.Fail(ex, console);
            }
            finally
            {
                if (work is not null)
                {
                    Finish(console, work, madeWork, parse.GetValue(keep));
                }
            }
        });
        return command;
    }

    private static int Run(CliConsole console, string work, CancellationToken cancellationToken)
    {
        var source = Path.Combine(work, SourceDirectory, "sample-env");
        var archive = Path.Combine(work, ArchiveName);
        var destination = Path.Combine(work, DeployDirectory, "a-much-longer-path", "sample-env");

        SampleEnvironment.Create(source);
        console.Line($"1. built a sample conda environment at {source}");

        var clock = Stopwatch.StartNew();
        var packed = EnvironmentPacker.Pack(new PackOptions { Prefix = source, Output = archive }, cancellationToken);
        var summary = packed.Manifest.Summary;
        var entries = summary.Files + summary.Directories + summary.Symlinks + summary.Hardlinks;
        console.Line($"2. packed {entries} entries ({summary.Files} files, {summary.Directories} directories, {summary.Symlinks} symlinks, {summary.Hardlinks} hard link{(summary.Hardlinks == 1 ? "" : "s")}) into {archive} ({ProgressDisplay.Bytes(packed.ArchiveBytes)}) in {clock.Elapsed.TotalMilliseconds:0} ms");

        Directory.Move(source, source + ".moved-away");
        clock.Restart();
        var deployed = Deployer.Deploy(new DeployOptions { ArchivePath = archive, Destination = destination }, cancellationToken);
        console.Line($"3. moved the source away and deployed to {destination}: {deployed.FilesRelocated} files relocated, manifest sha256 {deployed.ManifestSha256[..16]}..., {clock.Elapsed.TotalMilliseconds:0} ms");

        var report = PrefixVerifier.Verify(destination, cancellationToken: cancellationToken);
        console.Line($"4. verify: {(report.IsClean ? "clean" : "DRIFT")}, {report.Checked} entries checked: the {entries} packed and the {deployed.AddedFiles.Count} deploy added ({string.Join(", ", deployed.AddedFiles)})");

        var hello = RunHello(destination);
        console.Line($"5. ran {SampleEnvironment.HelloScript} through its relocated shebang: {hello.Trim()}");
        var ok = report.IsClean && hello.Contains(destination, StringComparison.Ordinal);
        console.Line(ok ? "Demo succeeded." : "Demo FAILED: see the lines above.");
        return ok ? 0 : (int)ExitCode.Unexpected;
    }

    /// <summary>Removes what the demo made, unless asked to keep it; a work directory the user already had stays, emptied of the demo's trees.</summary>
    private static void Finish(CliConsole console, string work, bool madeWork, bool keep)
    {
        if (keep)
        {
            console.Line($"Kept in {work}: the sample ({SourceDirectory}/), the archive ({ArchiveName}) and the deployed tree ({DeployDirectory}/). Remove it with:  rm -rf '{work}'");
            return;
        }

        try
        {
            if (madeWork)
            {
                Directory.Delete(work, recursive: true);
            }
            else
            {
                foreach (var made in new[] { SourceDirectory, DeployDirectory })
                {
                    var path = Path.Combine(work, made);
                    if (Directory.Exists(path))
                    {
                        Directory.Delete(path, recursive: true);
                    }
                }

                File.Delete(Path.Combine(work, ArchiveName));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.Warning($"{work}: could not remove the demo's files ({e.Message}); remove them by hand.");
        }
    }

    private static string RunHello(string destination)
    {
        using var process = Process.Start(new ProcessStartInfo(Path.Combine(destination, SampleEnvironment.HelloScript)) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}
