using System.CommandLine;
using System.Diagnostics;
using Envship.Cli.Rendering;
using Envship.Core;
using Envship.Core.Conda;
using Envship.Core.Pack;
using Envship.Core.Registry;
using Envship.Core.Registry.Artifact;
using Envship.Core.Registry.Push;

namespace Envship.Cli.Commands;

internal static class PushCommand
{
    public static Command Create(CliConsole console, CancellationToken cancellationToken)
    {
        var arguments = new Argument<string[]>("ARGS") { Description = "ARCHIVE DEST, or DEST alone with -p/-n. DEST is oci://HOST[:PORT]/REPO:TAG or oci-layout:DIR[:TAG].", Arity = new ArgumentArity(1, 2) };
        var prefix = new Option<string?>("--prefix", "-p") { Description = "Push this environment (packed first, exactly as envship pack would)." };
        var name = new Option<string?>("--name", "-n") { Description = "Push the environment of this name." };
        var tags = new Option<string[]>("--tag", "-t") { Description = "Another tag to point at the pushed manifest (repeatable)." };
        var sign = new Option<string?>("--sign") { Description = "Push a minisign signature of the manifest digest as a referrer, made with this secret key." };
        var json = new Option<bool>("--json") { Description = "Print the digest, bytes uploaded and skipped, and every layer's outcome as JSON." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the digest." };
        var mountFrom = new Option<string[]>("--mount-from") { Description = "Another repository of the same registry that may hold some of the blobs (repeatable): they are mounted from it, not uploaded." };
        var remote = new RemoteCliOptions();
        var command = new Command("push", "Push an environment (an archive or a prefix) to an OCI registry or image layout, one layer per package; only blobs the target lacks are uploaded.")
        {
            arguments, prefix, name, tags, sign, json, quiet, mountFrom,
        };
        remote.AddTo(command);
        command.SetAction(parse =>
        {
            try
            {
                var args = parse.GetValue(arguments) ?? [];
                var fromPrefix = parse.GetValue(prefix) is not null || parse.GetValue(name) is not null;
                if (args.Length != (fromPrefix ? 1 : 2))
                {
                    throw new EnvshipException(ExitCode.Usage, "push takes ARCHIVE DEST, or -p PREFIX (or -n NAME) and DEST. Example: envship push env.tar.zst oci://registry.example:5000/team/env:v1");
                }

                var silent = parse.GetValue(quiet) || parse.GetValue(json);
                var key = parse.GetValue(sign) is { } keyFile ? PasswordSource.LoadKey(console, keyFile) : null;
                using var destination = OciEndpoint.Open(args[^1], remote.Read(parse), forWriting: true);
                if ((parse.GetValue(mountFrom) ?? []) is { Length: > 0 } candidates)
                {
                    if (destination.Target is not RegistryRepository repository)
                    {
                        throw new EnvshipException(ExitCode.Usage, $"--mount-from works only when pushing to a registry (oci://…), not to {args[^1]}.");
                    }

                    repository.MountCandidates = candidates;
                }
                if (destination.Reference is { } reference && OciDigest.IsValid(reference))
                {
                    throw new EnvshipException(ExitCode.Usage, $"{args[^1]}: a push needs a tag, not a digest (the digest is known only once the manifest is built). Write REPO:TAG.");
                }

                var allTags = new List<string>();
                if (!destination.ReferenceIsDefault || (parse.GetValue(tags) ?? []).Length == 0)
                {
                    allTags.Add(destination.Reference!);
                }

                allTags.AddRange((parse.GetValue(tags) ?? []).Where(t => !allTags.Contains(t)));
                var clock = Stopwatch.StartNew();
                using var artifact = fromPrefix
                    ? ArtifactBuilder.FromPrefix(new PackOptions { Prefix = Resolve(parse.GetValue(prefix), parse.GetValue(name)), Created = null }, cancellationToken: cancellationToken)
                    : ArtifactBuilder.FromArchive(args[0], cancellationToken: cancellationToken);
                var result = ProgressDisplay.Run(console, silent, progress => EnvironmentPusher.PushAsync(
                    artifact,
                    destination.Target,
                    new PushOptions
                    {
                        Tags = allTags,
                        SigningKey = key,
                        Progress = progress is null ? null : new SynchronousProgress<PushProgress>(p => progress.Report(new ProgressTick("pushing", p.BlobsDone, p.BlobsTotal, p.BytesDone, p.BytesTotal))),
                    },
                    cancellationToken).GetAwaiter().GetResult());
                Report(console, result, clock.Elapsed, parse.GetValue(quiet), parse.GetValue(json));
                return 0;
            }
            catch (Exception ex)
            {
                return EnvshipApp.Fail(ex, console);
            }
        });
        return command;
    }

    private static string Resolve(string? prefix, string? name)
    {
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);
        return PrefixResolver.Resolve(prefix, name, environment, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
    }

    private static void Report(CliConsole console, PushResult result, TimeSpan elapsed, bool quiet, bool json)
    {
        if (json)
        {
            console.Json(
                new PushSummary(
                    result.Location,
                    result.ManifestDigest,
                    result.Tags,
                    result.BytesUploaded,
                    result.BytesSkipped,
                    [.. result.Layers.Select(Describe)],
                    Describe(result.Config),
                    result.SignatureDigest,
                    Math.Round(elapsed.TotalSeconds, 3)),
                RegistryCliJsonContext.Default.PushSummary);
            return;
        }

        if (quiet)
        {
            console.Line(result.ManifestDigest);
            return;
        }

        var uploaded = result.Layers.Count(l => l.Outcome == BlobOutcome.Uploaded);
        var mounted = result.Layers.Count(l => l.Outcome == BlobOutcome.Mounted);
        console.Line(
            $"Pushed {result.Location}:{string.Join(",", result.Tags)} ({result.Layers.Count} layers: {uploaded} uploaded, {result.Layers.Count - uploaded - mounted} already there{(mounted > 0 ? $", {mounted} mounted" : "")}; "
            + $"{ProgressDisplay.Bytes(result.BytesUploaded)} sent, {ProgressDisplay.Bytes(result.BytesSkipped)} skipped) in {elapsed.TotalSeconds:0.0} s.");
        if (result.SignatureDigest is not null)
        {
            console.Line($"Signature referrer: {result.SignatureDigest}");
        }

        console.Line(result.ManifestDigest);
    }

    private static PushedBlobSummary Describe(PushedBlob blob) => new(blob.Title, blob.Digest, blob.Size, blob.Outcome.ToString().ToLowerInvariant());
}

internal sealed record PushedBlobSummary(string Title, string Digest, long Size, string Outcome);

internal sealed record PushSummary(string Destination, string Digest, IReadOnlyList<string> Tags, long BytesUploaded, long BytesSkipped, IReadOnlyList<PushedBlobSummary> Layers, PushedBlobSummary Config, string? Signature, double Seconds);
