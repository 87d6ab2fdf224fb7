using System.CommandLine;
using Envship.Cli.Rendering;
using Envship.Core.Diff;

namespace Envship.Cli.Commands;

internal static class DiffCommand
{
    public static Command Create(CliConsole console, CancellationToken cancellationToken)
    {
        var a = new Argument<string>("A") { Description = "An archive or a prefix: the old side." };
        var b = new Argument<string>("B") { Description = "An archive or a prefix: the new side." };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable report." };
        var command = new Command("diff", "Compare two archives, two prefixes, or one of each: conda packages, pip distributions and files.") { a, b, json };
        command.SetAction(parse =>
        {
            try
            {
                var report = EnvironmentDiff.Compare(parse.GetValue(a)!, parse.GetValue(b)!, cancellationToken: cancellationToken);
                if (parse.GetValue(json))
                {
                    console.Json(report, CliJsonContext.Default.DiffReport);
                }
                else
                {
                    Describe(console, report);
                }

                return 0;
            }
            catch (Exception ex)
            {
                return EnvshipApp.Fail(ex, console);
            }
        });
        return command;
    }

    private static void Describe(CliConsole console, DiffReport report)
    {
        Packages(console, "conda packages", report.CondaPackages);
        Packages(console, "pip distributions", report.PipDistributions);
        var t = report.FileTotals;
        console.Line($"files: {t.Added} added ({ProgressDisplay.Bytes(t.AddedBytes)}), {t.Removed} removed ({ProgressDisplay.Bytes(t.RemovedBytes)}), "
            + $"{t.Changed} modified ({ProgressDisplay.Bytes(t.ChangedBytesBefore)} -> {ProgressDisplay.Bytes(t.ChangedBytesAfter)})");
        foreach (var file in report.Files)
        {
            var sign = file.Kind switch { ChangeKind.Added => "+", ChangeKind.Removed => "-", _ => "~" };
            console.Line($"  {sign} {file.Path}");
        }

        if (report.IsEmpty)
        {
            console.Line("no differences.");
        }
    }

    private static void Packages(CliConsole console, string title, IReadOnlyList<PackageChange> changes)
    {
        console.Line($"{title}: {Count(changes, ChangeKind.Added)} added, {Count(changes, ChangeKind.Removed)} removed, {Count(changes, ChangeKind.Changed)} changed");
        foreach (var c in changes)
        {
            var where = c.Environment.Length == 0 ? "" : $"[{c.Environment}] ";
            console.Line(c.Kind switch
            {
                ChangeKind.Added => $"  + {where}{c.Name} {Version(c.NewVersion, c.NewBuild)}",
                ChangeKind.Removed => $"  - {where}{c.Name} {Version(c.OldVersion, c.OldBuild)}",
                _ => $"  ~ {where}{c.Name} {Version(c.OldVersion, c.OldBuild)} -> {Version(c.NewVersion, c.NewBuild)}",
            });
        }
    }

    private static int Count(IReadOnlyList<PackageChange> changes, ChangeKind kind) => changes.Count(c => c.Kind == kind);

    private static string Version(string? version, string? build) => build is null ? version ?? "" : $"{version} ({build})";
}
