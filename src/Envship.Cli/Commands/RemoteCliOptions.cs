using System.CommandLine;
using Envship.Core.Registry.Transport;

namespace Envship.Cli.Commands;

/// <summary>The flags every command that talks to a registry or an https:// server shares: <c>--ca-file</c> and <c>--insecure</c>.</summary>
internal sealed class RemoteCliOptions
{
    private readonly Option<string?> _caFile = new("--ca-file") { Description = "PEM file of extra CA certificates to trust (a private registry's CA), besides the system's." };
    private readonly Option<bool> _insecure = new("--insecure") { Description = "Allow plain http:// to hosts other than loopback (loopback is always allowed)." };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(_caFile);
        command.Options.Add(_insecure);
    }

    public RemoteOptions Read(ParseResult parse) => new()
    {
        CaFile = parse.GetValue(_caFile),
        Insecure = parse.GetValue(_insecure),
    };
}
