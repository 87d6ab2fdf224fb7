using System.CommandLine;
using System.Globalization;
using Envship.Core.Deploy;

namespace Envship.Cli.Commands;

internal static class HistoryCommand
{
    public static Command Create(CliConsole console)
    {
        var prefix = new Argument<string>("PREFIX") { Description = "A prefix deployed by 'envship deploy'." };
        var json = new Option<bool>("--json") { Description = "Print the versions as JSON." };
        var command = new Command("history", "List the deployed versions kept for a prefix: the current one and the one 'rollback' brings back.") { prefix, json };
        command.SetAction(parse =>
        {
            try
            {
                var versions = DeployedVersions.List(parse.GetValue(prefix)!);
                if (parse.GetValue(json))
                {
                    console.Json(versions, CliJsonContext.Default.IReadOnlyListDeployedVersion);
                }
                else
                {
                    Print(console, versions);
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

    internal static void Print(CliConsole console, IReadOnlyList<DeployedVersion> versions)
    {
        foreach (var version in versions)
        {
            console.Line(version.DeployedAt is null
                ? $"{version.Slot,-9} {version.Path}: not deployed by envship"
                : $"{version.Slot,-9} manifest sha256 {version.ManifestSha256 ?? "(not recorded)"}  deployed {version.DeployedAt!.Value.ToString("u", CultureInfo.InvariantCulture)}  from {version.ArchivePath}  signer {version.SignerKeyId ?? "(unsigned)"}");
        }
    }
}
