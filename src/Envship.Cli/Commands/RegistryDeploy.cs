using System.CommandLine;
using Envship.Cli.Rendering;
using Envship.Core;
using Envship.Core.Deploy;
using Envship.Core.Registry;
using Envship.Core.Registry.LayeredDeploy;
using Envship.Core.Registry.Layout;
using Envship.Core.Registry.Transport;

namespace Envship.Cli.Commands;

/// <summary>What the layers of a registry deploy came from, for <c>--json</c>.</summary>
public sealed record TransferSummary(string Source, string ManifestDigest, long BytesFetched, long BytesTotal, long BytesReused, long BytesFromCache, long BytesFromDestination, IReadOnlyList<LayerOutcome> Layers)
{
    internal static TransferSummary From(string source, string digest, LayerTransfer transfer) =>
        new(source, digest, transfer.BytesFetched, transfer.BytesTotal, transfer.BytesReused, transfer.BytesFromCache, transfer.BytesFromDestination, transfer.Layers);

    /// <summary>"fetched X of Y (Z reused)", Y being every byte of the artifact, manifest and config included.</summary>
    public string Describe() =>
        $"fetched {ProgressDisplay.Bytes(BytesFetched)} of {ProgressDisplay.Bytes(BytesTotal)} ({ProgressDisplay.Bytes(BytesReused)} reused: {ProgressDisplay.Bytes(BytesFromCache)} from the cache, {ProgressDisplay.Bytes(BytesFromDestination)} from the current deployment; {Layers.Count(l => l.Origin == LayerOrigin.Fetched)} of {Layers.Count} layers fetched)";
}

/// <summary>The <c>oci://</c> and <c>oci-layout:</c> forms of <c>envship deploy</c>: the flags they add, and the call into Core.</summary>
internal sealed class RegistryDeploy
{
    private readonly Option<string?> _cacheDir = new("--cache-dir") { Description = "Blob cache for oci:// and oci-layout: deploys (default $XDG_CACHE_HOME/envship, or ~/.cache/envship; capped at 10 GiB, least recently used first)." };
    private readonly Option<bool> _noCache = new("--no-cache") { Description = "Fetch layers into a temporary cache removed after the deploy (unchanged layers are still reused from DEST)." };

    public static bool Handles(string source) => OciReference.IsOciReference(source) || OciLayoutReference.IsLayoutReference(source);

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(_cacheDir);
        command.Options.Add(_noCache);
    }

    public (DeployResult Result, TransferSummary Transfer) Deploy(ParseResult parse, string source, RemoteOptions remote, DeployOptions options, Action<string> layerStage, CancellationToken cancellationToken)
    {
        using var from = OciEndpoint.Open(source, remote, forWriting: false);
        var result = RegistryDeployer.Deploy(from.Source, from.Reference ?? OciReference.DefaultTag, options, Options(parse, layerStage), cancellationToken);
        return (result.Deploy, TransferSummary.From(from.Source.Location, result.ManifestDigest, result.Transfer));
    }

    public (DryRunResult Result, TransferSummary Transfer) DryRun(ParseResult parse, string source, RemoteOptions remote, DeployOptions options, Action<string> layerStage, CancellationToken cancellationToken)
    {
        using var from = OciEndpoint.Open(source, remote, forWriting: false);
        var result = RegistryDeployer.DryRun(from.Source, from.Reference ?? OciReference.DefaultTag, options, Options(parse, layerStage), cancellationToken);
        return (result.DryRun, TransferSummary.From(from.Source.Location, result.ManifestDigest, result.Transfer));
    }

    private RegistryDeployOptions Options(ParseResult parse, Action<string> layerStage) => new()
    {
        CacheDirectory = parse.GetValue(_cacheDir),
        NoCache = parse.GetValue(_noCache),
        LayerProgress = new SynchronousProgress<LayerProgress>(p => layerStage($"layer {Math.Min(p.LayersDone + 1, p.LayersTotal)}/{p.LayersTotal}")),
    };
}
