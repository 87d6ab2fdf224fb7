using System.CommandLine;
using Envship.Core;
using Envship.Core.Registry.Auth;

namespace Envship.Cli.Commands;

internal static class LoginCommand
{
    public static Command Create(CliConsole console, CancellationToken cancellationToken)
    {
        var registry = new Argument<string>("REGISTRY") { Description = "The registry: HOST or HOST:PORT." };
        var username = new Option<string>("--username", "-u") { Description = "The user name.", Required = true };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password or token from stdin (the only way: it never shows in ps or the shell history)." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var remote = new RemoteCliOptions();
        var command = new Command("login", "Check a user name and password against a registry, then store them in the docker config.json (or its credential helper), as docker login does.")
        {
            registry, username, passwordStdin, json,
        };
        remote.AddTo(command);
        command.SetAction(parse =>
        {
            try
            {
                var host = RegistryLogin.ParseRegistry(parse.GetValue(registry)!);
                if (!parse.GetValue(passwordStdin))
                {
                    throw new EnvshipException(ExitCode.Usage, $"envship login reads the password from stdin only: printf '%s' \"$TOKEN\" | envship login {host} -u USER --password-stdin");
                }

                var password = Console.In.ReadToEnd().TrimEnd('\r', '\n');
                if (password.Length == 0)
                {
                    throw new EnvshipException(ExitCode.Usage, $"no password on stdin: pipe it in, e.g. printf '%s' \"$TOKEN\" | envship login {host} -u USER --password-stdin");
                }

                var result = RegistryLogin.LoginAsync(host, parse.GetValue(username)!, password, remote.Read(parse), cancellationToken).GetAwaiter().GetResult();
                if (parse.GetValue(json))
                {
                    console.Json(result, RegistryCliJsonContext.Default.LoginResult);
                }
                else
                {
                    console.Line(result.Checked
                        ? $"Logged in to {result.Registry} as {result.Username}; the credential is saved in {result.SavedIn}."
                        : $"{result.Registry} asks for no credentials; saved the one for {result.Username} in {result.SavedIn} anyway.");
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
