using System.Diagnostics;
using Envship.Cli.Tests.Fixtures;
using Envship.Core.Deploy;
using Xunit.Abstractions;

namespace Envship.Cli.Tests;

/// <summary>
/// Acceptance 2: deploys with --replace killed by SIGKILL at random points leave DEST exactly the old
/// or exactly the new tree, and the next deploy cleans up and succeeds.
/// </summary>
public sealed class CrashSafetyTests(ReplaceArchives archives, ITestOutputHelper output) : IClassFixture<ReplaceArchives>
{
    private const int Kills = 100;

    [Fact]
    public void Replace_deploys_killed_at_random_points_leave_the_old_or_the_new_tree()
    {
        var clock = Stopwatch.StartNew();
        var destination = archives.Work.Combine("crash", "env");
        var parent = Path.GetDirectoryName(destination)!;
        CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "-q");
        var shaA = Receipt.Load(destination).ManifestSha256!;

        // Unkilled runs in their own process measure how long a deploy takes, to spread the kills over it.
        var observed = new List<TimeSpan>();
        foreach (var archive in new[] { archives.B, archives.A, archives.B })
        {
            var timing = Stopwatch.StartNew();
            var run = CliRunner.RunProcess(["deploy", archive, "--prefix", destination, "-q", "--replace"]);
            observed.Add(timing.Elapsed);
            Assert.True(run.ExitCode == 0, run.StdErr);
        }

        var shaB = Receipt.Load(destination).ManifestSha256!;
        Assert.NotEqual(shaA, shaB);

        var random = new Random(20261125);
        var (landedOld, landedNew, finished, leftStaging, leftJournal) = (0, 0, 0, 0, 0);
        var layout = DeployLayout.For(destination);
        var current = archives.B;
        for (var i = 0; i < Kills; i++)
        {
            var next = current == archives.A ? archives.B : archives.A;
            // Every other kill aims at the end of the deploy, where the switch happens.
            var fraction = i % 2 == 0 ? random.NextDouble() * 1.1 : 0.75 + (random.NextDouble() * 0.3);
            var duration = observed.Order().ElementAt(observed.Count / 2);
            var delay = duration * fraction;
            var elapsed = StartAndKill(["deploy", next, "--prefix", destination, "-q", "--replace"], delay);
            if (elapsed is not null)
            {
                finished++;
                observed.Add(elapsed.Value);
            }

            leftStaging += Directory.EnumerateDirectories(parent, "*" + StagingDirectory.Marker + "*").Any() ? 1 : 0;
            leftJournal += File.Exists(layout.JournalFile) ? 1 : 0;

            var verify = CliRunner.Run("verify", destination);
            Assert.True(verify.ExitCode == 0, $"kill {i} after {delay.TotalMilliseconds:0} ms: {verify.All}");
            var sha = Receipt.Load(destination).ManifestSha256!;
            Assert.Contains(sha, new[] { shaA, shaB });
            var expectedNew = next == archives.A ? shaA : shaB;
            if (sha == expectedNew)
            {
                landedNew++;
            }
            else
            {
                landedOld++;
            }

            CliRunner.RunOk("deploy", next, "--prefix", destination, "-q", "--replace");
            Assert.Equal(expectedNew, Receipt.Load(destination).ManifestSha256);
            Assert.Empty(Directory.EnumerateDirectories(parent, "*" + StagingDirectory.Marker + "*"));
            current = next;
        }

        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
        Assert.Equal(0, CliRunner.Run("verify", layout.Previous).ExitCode);
        Assert.Equal(["env", Path.GetFileName(layout.StateDirectory)], Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName).Order(StringComparer.Ordinal).Reverse());
        Assert.Equal(["lock", "previous"], Directory.EnumerateFileSystemEntries(layout.StateDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        output.WriteLine($"{Kills} kills (a whole deploy took a median {observed.Order().ElementAt(observed.Count / 2).TotalMilliseconds:0} ms): {landedOld} left the old tree, {landedNew} the new one ({finished} finished before the kill, {leftStaging} left a staging tree, {leftJournal} a journal); {clock.Elapsed.TotalSeconds:0.0} s in all.");
    }

    /// <summary>Starts the CLI as its own process and sends it SIGKILL after <paramref name="delay"/>; answers how long it took if it ended first.</summary>
    private static TimeSpan? StartAndKill(IEnumerable<string> args, TimeSpan delay)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "envship.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        if (process.WaitForExit(delay))
        {
            Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
            return clock.Elapsed;
        }

        process.Kill();
        process.WaitForExit();
        return null;
    }
}
