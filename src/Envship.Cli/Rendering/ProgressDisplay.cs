using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Envship.Cli.Rendering;

public readonly record struct ProgressTick(string Phase, int FilesDone, int FilesTotal, long BytesDone, long BytesTotal);

/// <summary>
/// A progress bar (files and bytes) on a terminal, a plain line every few seconds otherwise,
/// and nothing at all with <c>-q</c> or <c>--json</c>. Every count is of regular files, the unit
/// the pack and deploy summaries count too.
/// </summary>
public static class ProgressDisplay
{
    public static T Run<T>(CliConsole console, bool silent, Func<IProgress<ProgressTick>?, T> work)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(work);
        if (silent)
        {
            return work(null);
        }

        if (!console.IsInteractive)
        {
            return work(new PlainProgress(console.Err));
        }

        var terminal = AnsiConsole.Create(new AnsiConsoleSettings { Out = new TerminalOutput(), Interactive = InteractionSupport.Yes });
        return terminal.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SmoothedRemainingTimeColumn())
            .Start(context => work(new BarProgress(context)));
    }

    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };

    private sealed class BarProgress(ProgressContext context) : IProgress<ProgressTick>
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, ProgressTask> _tasks = [];

        public void Report(ProgressTick value)
        {
            lock (_lock)
            {
                if (!_tasks.TryGetValue(value.Phase, out var task))
                {
                    task = _tasks[value.Phase] = context.AddTask(value.Phase, maxValue: Math.Max(1, value.BytesTotal));
                }

                task.Value = value.BytesDone;
                task.Description = $"{value.Phase} {value.FilesDone}/{value.FilesTotal} files, {Bytes(value.BytesDone)}";
            }
        }
    }

    /// <summary>Spectre's own remaining-time column follows the rate between redraws; this one smooths it.</summary>
    private sealed class SmoothedRemainingTimeColumn : ProgressColumn
    {
        private readonly Dictionary<int, RemainingTimeEstimate> _estimates = [];

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            if (!_estimates.TryGetValue(task.Id, out var estimate))
            {
                estimate = _estimates[task.Id] = new RemainingTimeEstimate();
            }

            var remaining = estimate.Update(task.ElapsedTime ?? TimeSpan.Zero, task.Value, task.MaxValue);
            return new Text(remaining is { } left ? left.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "--:--:--", Color.Blue);
        }
    }

    private sealed class PlainProgress(TextWriter error) : IProgress<ProgressTick>
    {
        private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
        private readonly Lock _lock = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private string? _phase;
        private TimeSpan _last;
        private bool _finishedShown;

        public void Report(ProgressTick value)
        {
            lock (_lock)
            {
                var finished = value.FilesDone == value.FilesTotal;
                if (value.Phase != _phase)
                {
                    _phase = value.Phase;
                    _finishedShown = false;
                }
                else if (_finishedShown || (!finished && _clock.Elapsed - _last < Interval))
                {
                    return;
                }

                _last = _clock.Elapsed;
                _finishedShown = finished;
                error.WriteLine($"envship: {value.Phase}: {value.FilesDone}/{value.FilesTotal} files, {Bytes(value.BytesDone)} of {Bytes(value.BytesTotal)}");
            }
        }
    }
}
