using System.CommandLine;
using System.Text;
using Envship.Core;
using Envship.Core.Exports;

namespace Envship.Cli.Commands;

internal static class ExportCommand
{
    private const string Formats = "environment.yml, explicit, cyclonedx, spdx";

    public static Command Create(CliConsole console)
    {
        var source = new Argument<string>("ARCHIVE|PREFIX") { Description = "An archive made by 'envship pack', or a conda environment's prefix." };
        var format = new Option<string>("--format") { Description = $"One of: {Formats}.", Required = true };
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file instead of stdout." };
        var env = new Option<string?>("--env") { Description = "The environment of a whole installation (default: base, or the only one)." };
        var noBuilds = new Option<bool>("--no-builds") { Description = "environment.yml: name=version, without the build string." };
        var fromHistory = new Option<bool>("--from-history") { Description = "environment.yml: only the specs asked for, from conda-meta/history." };
        var command = new Command("export", "Write an environment.yml, an @EXPLICIT lock file or an SBOM for an archive or a prefix; no conda needed.")
        {
            source, format, output, env, noBuilds, fromHistory,
        };
        command.SetAction(parse =>
        {
            try
            {
                var name = parse.GetValue(format)!;
                var chosen = Exporters.Parse(name)
                    ?? throw new EnvshipException(ExitCode.Usage, $"--format {name}: unknown export format. Use one of: {Formats}.");
                var environment = ExportSource.Load(parse.GetValue(source)!, parse.GetValue(env));
                var bytes = Exporters.Render(chosen, environment, new ExportOptions(parse.GetValue(noBuilds), parse.GetValue(fromHistory)));
                if (parse.GetValue(output) is { } file)
                {
                    File.WriteAllBytes(file, bytes);
                }
                else
                {
                    console.Out.Write(Encoding.UTF8.GetString(bytes));
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
