using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Core.Deploy;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>Acceptance 5: of two concurrent deploys to one DEST exactly one runs; the other fails fast with the lock message, or waits with --wait.</summary>
public sealed class DeployLockTests(ReplaceArchives archives) : IClassFixture<ReplaceArchives>
{
    [Fact]
    public async Task A_second_deploy_fails_fast_while_the_first_holds_the_lock()
    {
        var destination = archives.Work.Combine("locked", "env");
        var layout = DeployLayout.For(destination);
        var big = StartHoldingTheLock(layout, ["deploy", archives.Big, "--prefix", destination, "-q"], pause: true);

        // The first deploy is stopped (SIGSTOP) while it holds the lock, so on a loaded machine it
        // cannot finish before the second starts; it goes on once the second has failed.
        var second = CliRunner.RunProcess(["deploy", archives.A, "--prefix", destination, "-q"]);
        Signal("CONT", OwnerPid(layout));
        var first = await big;

        Assert.True(first.Result.ExitCode == 0, first.Result.StdErr);
        Assert.Equal((int)ExitCode.Locked, second.ExitCode);
        Assert.Contains(layout.LockFile, second.StdErr, StringComparison.Ordinal);
        Assert.Contains($"(PID {first.Pid})", second.StdErr, StringComparison.Ordinal);
        Assert.Contains("--wait", second.StdErr, StringComparison.Ordinal);
        Assert.Equal(Receipt.Load(destination).ArchivePath, archives.Big);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
        Assert.Equal(["env"], Directory.EnumerateFileSystemEntries(layout.Parent).Select(Path.GetFileName));
    }

    [Fact]
    public async Task With_wait_the_second_deploy_runs_after_the_first()
    {
        var destination = archives.Work.Combine("waiting", "env");
        CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "-q");
        var layout = DeployLayout.For(destination);
        var big = StartHoldingTheLock(layout, ["deploy", archives.Big, "--prefix", destination, "-q", "--replace"]);

        var second = CliRunner.RunProcess(["deploy", archives.B, "--prefix", destination, "-q", "--replace", "--wait"]);
        var first = await big;

        Assert.True(first.Result.ExitCode == 0, first.Result.StdErr);
        Assert.True(second.ExitCode == 0, second.StdErr);
        Assert.Equal(archives.B, Receipt.Load(destination).ArchivePath);
        Assert.Equal(archives.Big, Receipt.Load(layout.Previous).ArchivePath);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
    }

    [Fact]
    public async Task Rollback_also_takes_the_lock()
    {
        var destination = archives.Work.Combine("rollback-locked", "env");
        CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "-q");
        CliRunner.RunOk("deploy", archives.B, "--prefix", destination, "-q", "--replace");
        var layout = DeployLayout.For(destination);
        var big = StartHoldingTheLock(layout, ["deploy", archives.Big, "--prefix", destination, "-q", "--replace"]);

        var refused = CliRunner.Run("rollback", destination);
        Assert.Equal((int)ExitCode.Locked, refused.ExitCode);
        CliRunner.RunOk("rollback", destination, "--wait");

        Assert.Equal(0, (await big).Result.ExitCode);
        Assert.Equal(archives.B, Receipt.Load(destination).ArchivePath);
        Assert.Equal(archives.Big, Receipt.Load(layout.Previous).ArchivePath);
    }

    /// <summary>Starts the CLI in its own process and returns once that process holds the destination's lock.</summary>
    private static int OwnerPid(DeployLayout layout) => int.Parse(File.ReadAllText(layout.OwnerFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private static void Signal(string signal, int pid) => Assert.Equal(0, ProcessRunner.Run("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode);

    private static Task<(int Pid, ProcessResult Result)> StartHoldingTheLock(DeployLayout layout, string[] args, bool pause = false)
    {
        var pidBefore = File.Exists(layout.OwnerFile) ? File.ReadAllText(layout.OwnerFile) : null;
        var run = Task.Run(() => CliRunner.RunProcess(args));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string? pid = null;
        while (pid is null && !run.IsCompleted && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
            try
            {
                var text = File.Exists(layout.OwnerFile) ? File.ReadAllText(layout.OwnerFile).Trim() : string.Empty;
                pid = text.Length > 0 && text != pidBefore ? text : null;
            }
            catch (IOException)
            {
                // Being written right now: look again.
            }
        }

        Assert.False(run.IsCompleted, "the first deploy ended before it was seen holding the lock; make the big archive bigger");
        Assert.NotNull(pid);
        if (pause)
        {
            Signal("STOP", int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture));
        }

        return run.ContinueWith(t => (int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture), t.Result), TaskScheduler.Default);
    }
}
