using System.CommandLine;
using System.Runtime.CompilerServices;
using Envship.Core.Archive.Installer;
using Envship.Core.Pack;

namespace Envship.Cli.Commands;

/// <summary>The options <c>bundle</c> and <c>pack --format run</c> share: which CPU, and which native envship to embed.</summary>
internal sealed class InstallerCliOptions
{
    public Option<string?> Target { get; } = new("--target") { Description = $"The CPU of the machines the installer is for: {InstallerTarget.Choices} (default: this machine's)." };

    public Option<string?> EnvshipBinary { get; } = new(InstallerBinary.Flag) { Description = "The native envship to embed (default: this envship when it is the native build for --target, else envship-TARGET beside it)." };

    public void AddTo(Command command)
    {
        command.Options.Add(Target);
        command.Options.Add(EnvshipBinary);
    }

    /// <summary>True when either option was given: <c>pack</c> refuses them without <c>--format run</c>.</summary>
    public bool AnyGiven(ParseResult parse) => parse.GetValue(Target) is not null || parse.GetValue(EnvshipBinary) is not null;

    /// <summary>The target and the checked binary; a usage error when none fits.</summary>
    public (InstallerTarget Target, string Binary) Resolve(ParseResult parse)
    {
        var target = parse.GetValue(Target) is { } name
            ? InstallerTarget.Parse(name)
            : InstallerTarget.Host ?? throw new Core.EnvshipException(Core.ExitCode.Usage, $"this machine's CPU has no installer target; pass --target ({InstallerTarget.Choices}).");
        return (target, InstallerBinary.Resolve(target, parse.GetValue(EnvshipBinary), Running()));
    }

    /// <summary>
    /// The NativeAOT build cannot generate code at run time, which tells it from the same program on
    /// .NET, whose <c>/proc/self/exe</c> is <c>dotnet</c> or a small apphost, not something to embed.
    /// </summary>
    private static RunningEnvship Running()
    {
        var directories = new List<string> { AppContext.BaseDirectory.TrimEnd('/') };
        if (Environment.ProcessPath is { } process && Path.GetDirectoryName(process) is { } processDirectory && !directories.Contains(processDirectory))
        {
            directories.Add(processDirectory);
        }

        return new RunningEnvship(!RuntimeFeature.IsDynamicCodeSupported, "/proc/self/exe", directories);
    }
}
