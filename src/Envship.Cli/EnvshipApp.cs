using System.CommandLine;
using System.Runtime.InteropServices;
using Envship.Cli.Commands;
using Envship.Core;
using Envship.Core.Conda;

namespace Envship.Cli;

/// <summary>Builds the command tree and turns every failure into a message and one documented exit code.</summary>
public static class EnvshipApp
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        using var cancellation = new CancellationTokenSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        var console = new CliConsole(output, error);
        var root = new RootCommand("envship: pack a conda environment or a whole Miniconda install into one verifiable, relocatable archive, and deploy it offline at any path.")
        {
            PackCommand.Create(console, cancellation.Token),
            DeployCommand.Create(console, cancellation.Token),
            RollbackCommand.Create(console, cancellation.Token),
            HistoryCommand.Create(console),
            VerifyCommand.Create(console, cancellation.Token),
            InspectCommand.Create(console),
            ExportCommand.Create(console),
            DiffCommand.Create(console, cancellation.Token),
            DemoCommand.Create(console, cancellation.Token),
            KeygenCommand.Create(console),
            SignCommand.Create(console, cancellation.Token),
            VerifySignatureCommand.Create(console, cancellation.Token),
        };

        try
        {
            var parsed = root.Parse(args);
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex)
        {
            return Fail(ex, console);
        }

        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            cancellation.Cancel();
        }
    }

    internal static int Fail(Exception exception, CliConsole console)
    {
        var (code, message) = exception switch
        {
            EnvshipException e => (e.Code, e.Message),
            PrefixResolutionException e => (ExitCode.Usage, e.Message),
            CondaMetaException e => (ExitCode.InvalidEnvironment, e.Message + " Repair or remove that record, then pack again."),
            OperationCanceledException => ((ExitCode)130, "interrupted; nothing was left behind."),
            UnauthorizedAccessException e => (ExitCode.IoFailure, e.Message + " Check the permissions, or run as a user who may write there."),
            IOException e => (ExitCode.IoFailure, e.Message),
            _ => (ExitCode.Unexpected, $"unexpected failure: {exception}"),
        };
        console.Error($"envship: error: {message}");
        return (int)code;
    }
}
