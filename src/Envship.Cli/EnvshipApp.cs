using System.CommandLine;
using System.CommandLine.Invocation;
using System.Runtime.InteropServices;
using Envship.Cli.Commands;
using Envship.Cli.Parsing;
using Envship.Core;
using Envship.Core.Conda;

namespace Envship.Cli;

/// <summary>Builds the command tree and turns every failure into a message and one documented exit code.</summary>
public static class EnvshipApp
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        using var cancellation = new CancellationTokenSource();
        var stoppedWith = ExitCode.Interrupted;
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => Stop(context, ExitCode.Interrupted));
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Stop(context, ExitCode.Interrupted));

        // A dropped SSH session sends SIGHUP; left to the runtime it would kill the process with a half-written temporary.
        using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context => Stop(context, ExitCode.HungUp));
        var console = new CliConsole(output, error);
        var root = CreateRoot(console, cancellation.Token);

        int code;
        try
        {
            var parsed = root.Parse(args);
            code = parsed.Action is ParseErrorAction
                ? ParseErrors.Report(parsed, console)
                : parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex)
        {
            code = Fail(ex, console);
        }

        // A command stopped by a signal reports the signal, whatever failed on the way out: after a
        // hang-up, writing to the vanished terminal fails too, and that is not the cause.
        return cancellation.IsCancellationRequested && code != 0 ? (int)stoppedWith : code;

        void Stop(PosixSignalContext context, ExitCode exitCode)
        {
            context.Cancel = true;
            stoppedWith = exitCode;
            cancellation.Cancel();
        }
    }

    /// <summary>The whole command tree; tests parse suggested command lines with it.</summary>
    public static RootCommand CreateRoot(CliConsole console, CancellationToken cancellationToken) =>
        new("envship: pack a conda environment or a whole Miniconda install into one verifiable, relocatable archive, and deploy it offline at any path.")
        {
            PackCommand.Create(console, cancellationToken),
            BundleCommand.Create(console, cancellationToken),
            DeployCommand.Create(console, cancellationToken),
            RollbackCommand.Create(console, cancellationToken),
            HistoryCommand.Create(console),
            VerifyCommand.Create(console, cancellationToken),
            InspectCommand.Create(console),
            ExportCommand.Create(console),
            DiffCommand.Create(console, cancellationToken),
            DemoCommand.Create(console, cancellationToken),
            KeygenCommand.Create(console),
            SignCommand.Create(console, cancellationToken),
            VerifySignatureCommand.Create(console, cancellationToken),
            LoginCommand.Create(console, cancellationToken),
            LogoutCommand.Create(console, cancellationToken),
            PushCommand.Create(console, cancellationToken),
            PullCommand.Create(console, cancellationToken),
        };

    internal static int Fail(Exception exception, CliConsole console)
    {
        var (code, message) = exception switch
        {
            EnvshipException e => (e.Code, e.Message),
            PrefixResolutionException e => (e.Code, e.Message),
            CondaMetaException e => (ExitCode.InvalidEnvironment, e.Message + " Repair or remove that record, then pack again."),
            OperationCanceledException => (ExitCode.Interrupted, "interrupted; nothing was left behind."),
            UnauthorizedAccessException e => (ExitCode.IoFailure, e.Message + " Check the permissions, or run as a user who may write there."),
            IOException e => (ExitCode.IoFailure, e.Message),
            _ => (ExitCode.Unexpected, $"unexpected failure: {exception}"),
        };
        try
        {
            console.Error($"envship: error: {message}");
        }
        catch (IOException)
        {
            // After a hang-up the terminal is gone; the exit code still tells what happened.
        }

        return (int)code;
    }
}
