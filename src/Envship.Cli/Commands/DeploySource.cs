using Envship.Cli.Rendering;
using Envship.Core;
using Envship.Core.Deploy;
using Envship.Core.Https;
using Envship.Core.Registry.Transport;

namespace Envship.Cli.Commands;

/// <summary>Where <c>deploy</c> takes the archive from: a local path, or an http(s) URL downloaded into the cache first.</summary>
internal sealed class DeploySource(string archive, RemoteOptions remote)
{
    /// <summary>What the download took, for a URL; null for a local archive.</summary>
    public DownloadReport? Download { get; private set; }

    public DeployResult Deploy(DeployOptions options, IProgress<ProgressTick>? progress, CancellationToken cancellationToken)
    {
        if (!ArchiveUrl.IsUrl(archive))
        {
            return Deployer.Deploy(options, cancellationToken);
        }

        var fetched = HttpsDeploy.Deploy(archive, options, Https(progress), cancellationToken);
        Download = fetched.Download;
        return fetched.Deploy;
    }

    public DryRunResult DryRun(DeployOptions options, IProgress<ProgressTick>? progress, CancellationToken cancellationToken)
    {
        if (!ArchiveUrl.IsUrl(archive))
        {
            return Core.Deploy.DryRun.Check(options, cancellationToken);
        }

        var fetched = HttpsDeploy.DryRun(archive, options, Https(progress), cancellationToken);
        Download = fetched.Download;
        return fetched.DryRun;
    }

    /// <summary>The line printed after a URL deploy: what crossed the network.</summary>
    public string? Describe() => Download switch
    {
        null => null,
        { ManifestOnly: true } d => $"envship: read only the head of {d.Url} ({ProgressDisplay.Bytes(d.BytesReceived)}, {d.Requests} request(s)): its manifest is the one DEST holds.",
        var d => $"envship: downloaded {d.Url}: {ProgressDisplay.Bytes(d.BytesReceived)} in {d.Requests} request(s), {d.Resumed} resumed with Range.",
    };

    private HttpsOptions Https(IProgress<ProgressTick>? progress) => new()
    {
        Remote = remote,
        DownloadDirectory = HttpsOptions.DefaultDownloadDirectory(Environment.GetEnvironmentVariable("XDG_CACHE_HOME"), Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)),
        Progress = progress is null ? null : new SynchronousProgress<DownloadProgress>(p => progress.Report(new ProgressTick("downloading", 0, 0, p.BytesDone, p.BytesTotal ?? 0))),
    };
}
