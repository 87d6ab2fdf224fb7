using System.CommandLine;
using System.CommandLine.Parsing;
using Envship.Core;

namespace Envship.Cli.Parsing;

/// <summary>
/// Parse errors as one line each on stderr, then where to find the usage; stdout stays empty, so a
/// mistyped flag in a <c>| jq</c> pipeline shows up as an error, not as help text fed to jq.
/// </summary>
internal static class ParseErrors
{
    public const string Prefix = "envship: error: ";

    public static int Report(ParseResult parsed, CliConsole console)
    {
        foreach (var error in parsed.Errors.Where(e => !RepeatsUnknownCommand(e, parsed)))
        {
            console.Error(Prefix + OneLine(error.Message));
        }

        console.Error($"Run '{CommandPath(parsed.CommandResult)} --help' for usage.");
        return (int)ExitCode.Usage;
    }

    /// <summary>"envship pack" for the pack command; the root is always "envship", whatever the host executable is called.</summary>
    internal static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? result = command; result is CommandResult { Parent: not null } sub; result = result.Parent)
        {
            names.Add(sub.Command.Name);
        }

        names.Add("envship");
        names.Reverse();
        return string.Join(' ', names);
    }

    // "Required command was not provided" beside "Unrecognized command or argument 'x'" says the same thing twice.
    private static bool RepeatsUnknownCommand(ParseError error, ParseResult parsed) =>
        error.SymbolResult is CommandResult { Command: { Action: null, Subcommands.Count: > 0 } }
        && parsed.UnmatchedTokens.Count > 0
        && !parsed.UnmatchedTokens.Any(token => error.Message.Contains(token, StringComparison.Ordinal));

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
