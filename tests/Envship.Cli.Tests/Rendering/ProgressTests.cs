using System.Globalization;
using System.Text.RegularExpressions;
using Envship.Cli.Rendering;
using Envship.Cli.Tests.Fixtures;

namespace Envship.Cli.Tests.Rendering;

/// <summary>The progress counts the unit its summary counts (regular files), and the time left does not jump.</summary>
public sealed partial class ProgressTests(TinyEnvironment env) : IClassFixture<TinyEnvironment>
{
    [Fact]
    public void Pack_and_deploy_progress_count_what_their_summaries_count()
    {
        var archive = env.Work.Combine("progress.tar.zst");
        var pack = CliRunner.RunOk("pack", "-p", env.Prefix, "-o", archive, "-f");
        var packed = Summary().Match(pack.StdOut).Groups["files"].Value;
        Assert.Equal($"{packed}/{packed}", LastProgress(pack.StdErr, "writing"));

        var deploy = CliRunner.RunOk("deploy", archive, "--prefix", env.Work.Combine("progress", "env"));
        var deployed = Deployed().Match(deploy.StdErr).Groups["files"].Value;
        Assert.Equal(packed, deployed);
        Assert.Equal($"{deployed}/{deployed}", LastProgress(deploy.StdErr, "deploying"));
    }

    [Fact]
    public void No_estimate_is_shown_before_the_warmup()
    {
        var estimate = new RemainingTimeEstimate();
        for (var tenth = 1; tenth < 30; tenth++)
        {
            Assert.Null(estimate.Update(TimeSpan.FromSeconds(tenth / 10.0), tenth * 100, 10_000));
        }

        Assert.NotNull(estimate.Update(RemainingTimeEstimate.Warmup, 3_000, 10_000));
    }

    [Fact]
    public void A_bursty_six_second_deploy_never_shows_more_than_a_few_seconds_left()
    {
        // 600 MB in 6 s: a slow first second (preflight, read-ahead filling), then one large file's
        // burst, a stall on thousands of small ones, and another burst; refreshed ten times a second.
        double[] perSecond = [5e6, 250e6, 10e6, 200e6, 10e6, 125e6];
        var total = perSecond.Sum();
        var estimate = new RemainingTimeEstimate();
        var done = 0.0;
        var shown = new List<TimeSpan>();
        for (var tick = 1; tick <= perSecond.Length * 10; tick++)
        {
            done += perSecond[(tick - 1) / 10] / 10;
            if (estimate.Update(TimeSpan.FromSeconds(tick / 10.0), Math.Min(done, total), total) is { } left)
            {
                shown.Add(left);
            }
        }

        Assert.NotEmpty(shown);
        Assert.All(shown, left => Assert.True(left <= TimeSpan.FromSeconds(10), $"showed {left} during a 6 s deploy"));
    }

    [Fact]
    public void A_large_file_that_reports_nothing_for_a_minute_counts_down_instead_of_growing()
    {
        // 30% in the first 3 s, then one file that takes a minute and reports only at its end.
        var estimate = new RemainingTimeEstimate();
        TimeSpan? before = null;
        for (var tick = 1; tick <= 30; tick++)
        {
            before = estimate.Update(TimeSpan.FromSeconds(tick / 10.0), tick * 1e6, 100e6);
        }

        Assert.NotNull(before);
        var previous = before.Value;
        for (var tick = 31; tick <= 630; tick++)
        {
            var left = estimate.Update(TimeSpan.FromSeconds(tick / 10.0), 30e6, 100e6);
            Assert.NotNull(left);
            Assert.True(left <= previous, $"at {tick / 10.0} s the estimate grew from {previous} to {left} while nothing was reported");
            previous = left.Value;
        }

        Assert.Equal(TimeSpan.FromSeconds(1), previous);
    }

    [Fact]
    public void The_estimate_follows_a_lasting_change_of_rate()
    {
        var estimate = new RemainingTimeEstimate();
        TimeSpan? left = null;
        var done = 0.0;
        for (var tick = 1; tick <= 200; tick++)
        {
            done += tick <= 50 ? 1e6 : 1e5;
            left = estimate.Update(TimeSpan.FromSeconds(tick / 10.0), done, 1e9);
        }

        // After 15 s at 1 MB/s the old 10 MB/s is forgotten: about (1e9 - 6.5e7) / 1e6 s remain.
        Assert.NotNull(left);
        Assert.InRange(left.Value.TotalSeconds, 800, 1100);
    }

    private static string LastProgress(string stderr, string phase) =>
        stderr.Split('\n').Where(l => l.StartsWith($"envship: {phase}: ", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[2])
            .Last();

    [GeneratedRegex(@"^Packed (?<files>\d+) files", RegexOptions.Multiline)]
    private static partial Regex Summary();

    [GeneratedRegex(@"deployed (?<files>\d+) files to")]
    private static partial Regex Deployed();
}
