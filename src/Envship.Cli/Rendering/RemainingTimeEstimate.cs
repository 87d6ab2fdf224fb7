namespace Envship.Cli.Rendering;

/// <summary>
/// The time left from a smoothed rate. Bytes arrive in bursts (one large library, then thousands of
/// small files), so the rate between two redraws swings by orders of magnitude, and an estimate from
/// it alone jumped from seconds to hours within one deploy. This one averages the rate over samples
/// half a second apart, exponentially once it has a few, and shows nothing for the first seconds.
/// </summary>
public sealed class RemainingTimeEstimate
{
    /// <summary>No estimate before this: the first rates include start-up, the preflight and an empty read-ahead.</summary>
    public static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(0.5);

    // The newest sample's weight once there are more than 1/Smoothing of them: about the last 3 s count.
    private const double Smoothing = 0.15;

    private TimeSpan _sampledAt;
    private double _sampledValue;
    private int _samples;
    private double _rate;

    /// <summary>Takes the progress at <paramref name="elapsed"/> and returns the time left, or null when it cannot be told yet.</summary>
    public TimeSpan? Update(TimeSpan elapsed, double done, double total)
    {
        var interval = elapsed - _sampledAt;
        if (interval >= SampleInterval)
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

        var seconds = (total - done) / _rate;
        return seconds < TimeSpan.FromDays(1).TotalSeconds ? TimeSpan.FromSeconds(Math.Ceiling(seconds)) : null;
    }
}
