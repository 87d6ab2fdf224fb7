using System.Diagnostics;
using Envship.Cli.Tests.Fixtures;
using Envship.Core.Deploy;
using Xunit.Abstractions;

namespace Envship.Cli.Tests;

/// <summary>
/// Issue 12, leftovers: a deploy removes the staging tree a killed one left. Killed in turn while it removes
/// it, at any point, it must leave something the next deploy still recognises as envship's, so thousands of
/// files are never stranded beside DEST.
/// </summary>
public sealed class LeftoverStagingTests(ReplaceArchives archives, ITestOutputHelper output) : IClassFixture<ReplaceArchives>
{
    private const int Directories = 40;
    private const int FilesPerDirectory = 100;
    private const int Total = Directories * FilesPerDirectory;

    /// <summary>How much of the leftover is gone when the kill is sent: 0 is the first sign of removal.</summary>
    private static readonly double[] KillPoints = [0, 0, 0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9];

    [Fact]
    public void Deploys_killed_while_removing_a_leftover_staging_tree_leave_it_recognisable_and_the_next_deploy_removes_it()
    {
        var destination = archives.Work.Combine("leftover-kills", "env");
        CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "-q");
        var layout = DeployLayout.For(destination);
        var (hits, stranded) = (0, new List<string>());
        for (var round = 0; round < KillPoints.Length; round++)
        {
            var leftover = Plant(layout, $"killed{round}", markerFirst: round % 2 == 0);
            var share = KillPoints[round];
            var killed = StartAndKillWhen(
                ["deploy", round % 2 == 0 ? archives.B : archives.A, "--prefix", destination, "-q", "--replace"],
                () => share == 0 ? !File.Exists(Path.Combine(leftover, StagingDirectory.MarkerFile)) : Remaining(layout) <= Total * (1 - share));
            var remaining = Remaining(layout);
            hits += killed && remaining is > 0 and < Total ? 1 : 0;
            stranded.AddRange(Unrecognisable(layout));
        }

        Assert.Empty(stranded);
        Assert.True(hits >= KillPoints.Length / 2, $"only {hits} of {KillPoints.Length} kills landed while a leftover was being removed");

        // B, not A: every killed deploy left DEST holding A, and deploying A again would be an unchanged no-op.
        CliRunner.RunOk("deploy", archives.B, "--prefix", destination, "-q", "--replace");
        Assert.Empty(Directory.EnumerateDirectories(layout.Parent, layout.StagingPattern));
        Assert.Equal(["lock", "previous"], Directory.EnumerateFileSystemEntries(layout.StateDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
        output.WriteLine($"{KillPoints.Length} kills, {hits} of them while a leftover of {Total} files was being removed");
    }

    [Fact]
    public void A_discarded_tree_cut_short_is_removed_by_the_next_deploy()
    {
        var destination = archives.Work.Combine("leftover-discarded", "env");
        CliRunner.RunOk("deploy", archives.A, "--prefix", destination, "-q");
        var layout = DeployLayout.For(destination);
        Directory.CreateDirectory(layout.StateDirectory);
        var discarded = layout.NewDiscardedPath();
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(discarded, "lib", "deep")).FullName, "half-removed"), "x");
        File.SetUnixFileMode(Path.Combine(discarded, "lib"), UnixFileMode.UserRead | UnixFileMode.UserExecute);

        CliRunner.RunOk("deploy", archives.B, "--prefix", destination, "-q", "--replace");

        Assert.False(Directory.Exists(discarded));
        Assert.Equal(["lock", "previous"], Directory.EnumerateFileSystemEntries(layout.StateDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// A staging tree as a killed deploy leaves it: the marker, and many files in read-only directories. The order
    /// in which a directory lists its entries, and so the order of removal, follows creation on some filesystems
    /// (tmpfs) and a hash on others (ext4), so the marker is created before the files in some rounds, after in others.
    /// </summary>
    private static string Plant(DeployLayout layout, string name, bool markerFirst)
    {
        var tree = Directory.CreateDirectory(Path.Combine(layout.Parent, $".{layout.Name}{StagingDirectory.Marker}{name}")).FullName;
        var marker = Path.Combine(tree, StagingDirectory.MarkerFile);
        if (markerFirst)
        {
            WriteMarker(marker);
        }

        for (var d = 0; d < Directories; d++)
        {
            var directory = Directory.CreateDirectory(Path.Combine(tree, "lib", $"d{d:00}")).FullName;
            for (var f = 0; f < FilesPerDirectory; f++)
            {
                File.WriteAllText(Path.Combine(directory, $"f{f:000}.py"), "x");
            }

            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        if (!markerFirst)
        {
            WriteMarker(marker);
        }

        return tree;
    }

    private static void WriteMarker(string marker)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        File.WriteAllText(marker, "999999\n");
    }

    /// <summary>Files left in leftovers envship would recognise and in trees it would not.</summary>
    private static int Remaining(DeployLayout layout)
    {
        var roots = Directory.EnumerateDirectories(layout.Parent, layout.StagingPattern)
            .Concat(Directory.Exists(layout.StateDirectory) ? Directory.EnumerateDirectories(layout.StateDirectory, DeployLayout.DiscardedPattern) : []);
        var count = 0;
        foreach (var root in roots)
        {
            try
            {
                count += Directory.EnumerateFiles(Path.Combine(root, "lib"), "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }).Count();
            }
            catch (DirectoryNotFoundException)
            {
                // Removed while being counted.
            }
        }

        return count;
    }

    /// <summary>Staging-named trees beside DEST that the next deploy would leave alone: neither the marker nor empty.</summary>
    private static List<string> Unrecognisable(DeployLayout layout) =>
        Directory.EnumerateDirectories(layout.Parent, layout.StagingPattern)
            .Where(tree => !File.Exists(Path.Combine(tree, StagingDirectory.MarkerFile)) && Directory.EnumerateFileSystemEntries(tree, "*", SearchOption.AllDirectories).Any(e => !e.EndsWith("/.envship", StringComparison.Ordinal)))
            .ToList();

    /// <summary>Runs the CLI as its own process and sends SIGKILL as soon as <paramref name="ready"/> holds; false when it ended first.</summary>
    private static bool StartAndKillWhen(IEnumerable<string> args, Func<bool> ready)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "envship.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var clock = Stopwatch.StartNew();
        while (!process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(1))
        {
            if (ready())
            {
                process.Kill();
                process.WaitForExit();
                return true;
            }
        }

        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        return false;
    }
}
