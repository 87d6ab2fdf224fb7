using System.CommandLine;
using System.Diagnostics;
using Envship.Cli.Rendering;
using Envship.Core;
using Envship.Core.Registry;
using Envship.Core.Registry.Layout;
using Envship.Core.Registry.Pull;

namespace Envship.Cli.Commands;

internal static class PullCommand
{
    public static Command Create(CliConsole console, CancellationToken cancellationToken)
    {
        var source = new Argument<string>("SRC") { Description = "oci://HOST[:PORT]/REPO:TAG (or @sha256:…) or oci-layout:DIR[:TAG]." };
        var output = new Option<string?>("--output", "-o") { Description = "Write a single-file archive (.tar.zst), as envship pack would: same manifest digest." };
        var layout = new Option<string?>("--oci-layout") { Description = "Copy the artifact (with its signature referrers) into this OCI image layout directory instead." };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite the output archive if it exists." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress and no summary." };
        var remote = new RemoteCliOptions();
        var command = new Command("pull", "Fetch an environment from an OCI registry or image layout into a single-file archive (-o) or an OCI image layout (--oci-layout), verifying every blob and file.")
        {
            source, output, layout, force, json, quiet,
        };
        remote.AddTo(command);
        command.SetAction(parse =>
        {
            try
            {
                var (file, directory) = (parse.GetValue(output), parse.GetValue(layout));
                if ((file is null) == (directory is null))
                {
                    throw new EnvshipException(ExitCode.Usage, "pull needs exactly one of -o FILE.tar.zst or --oci-layout DIR.");
                }

                var silent = parse.GetValue(quiet) || parse.GetValue(json);
                var clock = Stopwatch.StartNew();
                using var from = OciEndpoint.Open(parse.GetValue(source)!, remote.Read(parse), forWriting: false);
                var reference = from.Reference ?? OciReference.DefaultTag;
                PullSummary summary;
                if (file is not null)
                {
                    var result = ProgressDisplay.Run(console, silent, progress => EnvironmentPuller.PullToArchiveAsync(
                        from.Source,
                        reference,
                        file,
                        new PullOptions
                        {
                            Force = parse.GetValue(force),
                            Progress = progress is null ? null : new SynchronousProgress<PullProgress>(p => progress.Report(new ProgressTick("pulling", p.LayersDone, p.LayersTotal, p.BytesDone, p.BytesTotal))),
                        },
                        cancellationToken).GetAwaiter().GetResult());
                    summary = new PullSummary(from.Source.Location, result.Output, result.ManifestDigest, result.ManifestSha256, result.BytesFetched, result.Layers, Math.Round(clock.Elapsed.TotalSeconds, 3));
                }
                else
                {
                    var store = OciLayoutStore.OpenOrCreate(directory!);
                    var tags = OciDigest.IsValid(reference) ? Array.Empty<string>() : [reference];
                    var (digest, fetched) = EnvironmentPuller.PullToLayoutAsync(from.Source, reference, store, tags, cancellationToken).GetAwaiter().GetResult();
                    summary = new PullSummary(from.Source.Location, store.Location, digest, null, fetched, null, Math.Round(clock.Elapsed.TotalSeconds, 3));
                }

                if (parse.GetValue(json))
                {
                    console.Json(summary, RegistryCliJsonContext.Default.PullSummary);
                }
                else if (!silent)
                {
                    console.Line($"Pulled {summary.Source} {summary.Digest} into {summary.Output} ({ProgressDisplay.Bytes(summary.BytesFetched)} fetched) in {clock.Elapsed.TotalSeconds:0.0} s.");
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

internal sealed record PullSummary(string Source, string Output, string Digest, string? ManifestSha256, long BytesFetched, int? Layers, double Seconds);
