using System.CommandLine;
using Envship.Core.Registry.Auth;
using Envship.Core.Registry.Transport;

namespace Envship.Cli.Commands;

internal static class LogoutCommand
{
    public static Command Create(CliConsole console, CancellationToken cancellationToken)
    {
        var registry = new Argument<string>("REGISTRY") { Description = "The registry: HOST or HOST:PORT." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var command = new Command("logout", "Remove a registry's credential from the docker config.json (or its credential helper).") { registry, json };
        command.SetAction(parse =>
        {
            try
            {
                var host = RegistryLogin.ParseRegistry(parse.GetValue(registry)!);
                var result = RegistryLogin.LogoutAsync(host, RemoteOptions.Default, cancellationToken).GetAwaiter().GetResult();
                if (parse.GetValue(json))
                {
                    console.Json(result, RegistryCliJsonContext.Default.LogoutResult);
                }
                else
                {
                    console.Line(result.Removed ? $"Removed the credential for {result.Registry} from {result.From}." : $"Not logged in to {result.Registry}; nothing to remove.");
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
