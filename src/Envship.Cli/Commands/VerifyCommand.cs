using System.CommandLine;
using Envship.Core;
using Envship.Core.Deploy;

namespace Envship.Cli.Commands;

internal static class VerifyCommand
{
    public static Command Create(CliConsole console, CancellationToken cancellationToken)
    {
        var prefix = new Argument<string>("PREFIX") { Description = "A prefix deployed by 'envship deploy'." };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable report." };
        var command = new Command("verify", $"Compare a deployed prefix with its receipt; exit {(int)ExitCode.Drift} on drift.") { prefix, json };
        command.SetAction(parse =>
        {
            try
            {
                var report = PrefixVerifier.Verify(parse.GetValue(prefix)!, cancellationToken: cancellationToken);
                if (parse.GetValue(json))
                {
                    console.Json(report, CliJsonContext.Default.DriftReport);
                }
                else
                {
                    foreach (var item in report.Modified)
                    {
                        console.Line($"modified  {item.Path}: {item.Reason}");
                    }

                    foreach (var path in report.Missing)
                    {
                        console.Line($"missing   {path}");
                    }

                    foreach (var path in report.Added)
                    {
                        console.Line($"added     {path}");
                    }

                    console.Line(report.IsClean
                        ? $"{report.Prefix}: clean, {report.Checked} entries match the receipt."
                        : $"{report.Prefix}: drift: {report.Modified.Count} modified, {report.Missing.Count} missing, {report.Added.Count} added.");
                }

                return report.IsClean ? 0 : (int)ExitCode.Drift;
            }
            catch (Exception ex)
            {
                return EnvshipApp.Fail(ex, console);
            }
        });
        return command;
    }
}
