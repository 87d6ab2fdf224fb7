namespace Envship.Cli.Rendering;

/// <summary>
/// The time left from a smoothed rate. Progress arrives per file: one large library reports nothing
/// for seconds and then all its bytes at once, then thousands of small files report steadily. A rate
/// taken between two redraws swings by orders of magnitude, and the estimate from it jumped from
/// seconds to hours within one deploy. This one measures the rate only between reports that moved
/// (a silent stretch is a file still in progress, not a rate of zero), averages it exponentially once
/// it has a few samples, counts down between reports, and shows nothing for the first seconds.
/// </summary>
public sealed class RemainingTimeEstimate
{
    /// <summary>No estimate before this: the first rates include start-up, the preflight and an empty read-ahead.</summary>
    public static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(0.5);
    private static readonly TimeSpan Floor = TimeSpan.FromSeconds(1);

    // The newest sample's weight once there are more than 1/Smoothing of them: about the last 3 s of reports count.
    private const double Smoothing = 0.15;

    private TimeSpan _sampledAt;
    private double _sampledValue;
    private int _samples;
    private double _rate;

    /// <summary>Takes the progress at <paramref name="elapsed"/> and returns the time left, or null when it cannot be told yet.</summary>
    public TimeSpan? Update(TimeSpan elapsed, double done, double total)
    {
        var interval = elapsed - _sampledAt;
        if (interval >= SampleInterval && done > _sampledValue)
        {
            var rate = (done - _sampledValue) / interval.TotalSeconds;
            _samples++;

            // The plain mean of the first samples, then an exponential average: no start-up value dominates.
            _rate += Math.Max(Smoothing, 1.0 / _samples) * (rate - _rate);
            _sampledAt = elapsed;
            _sampledValue = done;
        }

        if (elapsed < Warmup || _rate <= 0 || done >= total)
        {
            return null;
        }

        // From the last sample, counting down while a large file is still on its way.
        var seconds = ((total - _sampledValue) / _rate) - (elapsed - _sampledAt).TotalSeconds;
        if (seconds >= TimeSpan.FromDays(1).TotalSeconds)
        {
            return null;
        }

        var left = TimeSpan.FromSeconds(Math.Ceiling(seconds));
        return left < Floor ? Floor : left;
    }
}
