using System.CommandLine;
using Envship.Core.Deploy;

namespace Envship.Cli.Commands;

internal static class RollbackCommand
{
    public static Command Create(CliConsole console, CancellationToken cancellationToken)
    {
        var prefix = new Argument<string>("PREFIX") { Description = "A prefix deployed with 'envship deploy --replace'." };
        var wait = new Option<bool>("--wait") { Description = "Wait for another deploy or rollback to the same prefix instead of failing." };
        var json = new Option<bool>("--json") { Description = "Print the versions after the swap as JSON." };
        var command = new Command("rollback", "Swap the previous version back in; the current one becomes the previous, so rolling back twice returns to the start.") { prefix, wait, json };
        command.SetAction(parse =>
        {
            try
            {
                var versions = DeployedVersions.Rollback(parse.GetValue(prefix)!, parse.GetValue(wait), cancellationToken);
                if (parse.GetValue(json))
                {
                    console.Json(versions, CliJsonContext.Default.IReadOnlyListDeployedVersion);
                }
                else
                {
                    console.Error($"envship: rolled back {versions[0].Path}.");
                    HistoryCommand.Print(console, versions);
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
}
