using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Registry.Transport;

namespace Envship.Core.Https;

/// <summary>Where downloads go and how the server is reached.</summary>
public sealed record HttpsOptions
{
    public required RemoteOptions Remote { get; init; }

    /// <summary>The downloads cache, <c>$XDG_CACHE_HOME/envship/downloads</c> by default: one directory per URL.</summary>
    public required string DownloadDirectory { get; init; }
    public IProgress<DownloadProgress>? Progress { get; init; }

    /// <summary><c>$XDG_CACHE_HOME/envship/downloads</c>, else <c>~/.cache/envship/downloads</c>.</summary>
    public static string DefaultDownloadDirectory(string? xdgCacheHome, string home) => DownloadCache.DefaultRoot(xdgCacheHome, home);
}

/// <summary>What crossing the network took: requests sent, how many resumed with a Range, body bytes received in this run, and whether only the head was needed.</summary>
public sealed record DownloadReport(string Url, int Requests, int Resumed, long BytesReceived, bool ManifestOnly);

public sealed record HttpsDeployResult(DeployResult Deploy, DownloadReport Download);

public sealed record HttpsDryRunResult(DryRunResult DryRun, DownloadReport Download);

/// <summary>
/// <c>envship deploy https://…</c>: the archive is downloaded into the cache (resumable, even across runs), then
/// deployed from there exactly as a local file is, with the signature from <c>URL.minisig</c>. The receipt records the URL.
/// When no signature is asked for and DEST already holds the archive's manifest, the download stops once the
/// manifest at its head has arrived.
/// </summary>
public static class HttpsDeploy
{
    public static HttpsDeployResult Deploy(string url, DeployOptions options, HttpsOptions https, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(https);
        return Run(url, options, https, (local, unchanged) =>
        {
            if (unchanged is not null)
            {
                var current = CurrentVersion.CheckUnderLock(unchanged.Value.Destination, unchanged.Value.Reader, options, cancellationToken);
                if (current is not null)
                {
                    var manifest = unchanged.Value.Reader.Manifest;
                    return new DeployResult(current.Destination, manifest, current.ManifestSha256, 0, [], [], Deployer.ActivationCommand(manifest, current.Destination)) { Unchanged = current };
                }

                return null;
            }

            return Deployer.Deploy(options with { ArchivePath = local, Source = url }, cancellationToken);
        }, (result, report) => new HttpsDeployResult(result, report), cancellationToken);
    }

    public static HttpsDryRunResult DryRun(string url, DeployOptions options, HttpsOptions https, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(https);
        return Run(url, options, https, (local, unchanged) =>
            unchanged is { } head
                ? new DryRunResult(null, head.Reader.ManifestSha256, 0) { Unchanged = head.Current }
                : global::Envship.Core.Deploy.DryRun.Check(options with { ArchivePath = local, Source = url }, cancellationToken),
            (result, report) => new HttpsDryRunResult(result, report),
            cancellationToken);
    }

    private readonly record struct CurrentHead(string Destination, ArchiveReader Reader, UnchangedDeploy Current);

    /// <summary>
    /// Downloads, then hands the local file to <paramref name="act"/>; when the head showed DEST current, <paramref name="act"/>
    /// gets that instead and may answer null (DEST changed meanwhile) to have the download finished and be called again.
    /// </summary>
    private static TOut Run<T, TOut>(string url, DeployOptions options, HttpsOptions https, Func<string, CurrentHead?, T?> act, Func<T, DownloadReport, TOut> wrap, CancellationToken cancellationToken)
        where T : class
    {
        var uri = ArchiveUrl.Parse(url, https.Remote.Insecure);
        var destination = Deployer.NormalizePrefix(options.Destination);
        var wantsSignature = options.VerifyKeys.Count > 0;
        if (!wantsSignature)
        {
            _ = SignatureGate.Check(options with { ArchivePath = uri.ToString() }, cancellationToken);
        }

        using var client = RemoteHttp.CreateClient(https.Remote);
        using var cache = DownloadCache.Open(https.DownloadDirectory, uri);
        var finished = false;
        try
        {
            if (wantsSignature)
            {
                SignatureFetch.Fetch(client, uri, cache.SignaturePath, cancellationToken);
            }

            CurrentHead? head = null;
            var download = new ResumableDownload(client, uri, cache.PartPath, https.Remote.StallTimeout, https.Progress)
            {
            };
            if (!wantsSignature && !options.Redeploy)
            {
                download.OnHead = part =>
                {
                    var (read, current) = ReadHead(part, destination, options);
                    head = current;
                    if (read && current is null)
                    {
                        // The manifest is in and DEST does not hold it: the rest of the file is needed, no more looks.
                        download.OnHead = null;
                    }

                    return current is not null;
                };
            }

            var complete = Fetch(download, uri, cancellationToken);
            try
            {
                if (!complete && act(cache.PartPath, head) is { } early)
                {
                    finished = true;
                    return wrap(early, new DownloadReport(uri.ToString(), download.Requests, download.Resumed, download.BytesReceived, ManifestOnly: true));
                }
            }
            finally
            {
                head?.Reader.Dispose();
            }

            if (!complete)
            {
                download.OnHead = null;
                _ = Fetch(download, uri, cancellationToken);
            }

            cache.Complete();
            finished = true;
            var result = Localized(() => act(cache.ArchivePath, null)!, cache.ArchivePath, uri);
            return wrap(result, new DownloadReport(uri.ToString(), download.Requests, download.Resumed, download.BytesReceived, ManifestOnly: false));
        }
        finally
        {
            // A finished download is deployed (or refused) and dropped; an unfinished one stays for the next run to resume.
            if (finished)
            {
                cache.Remove();
            }
        }
    }

    private static bool Fetch(ResumableDownload download, Uri uri, CancellationToken cancellationToken)
    {
        try
        {
            return download.Run(cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw RemoteFailure.Unreachable(uri, ex);
        }
    }

    /// <summary>Whether the manifest at the head of the partial download could be read, and the reader, kept when DEST's receipt already names it.</summary>
    private static (bool Read, CurrentHead? Head) ReadHead(string partPath, string destination, DeployOptions options)
    {
        ArchiveReader? reader = null;
        try
        {
            reader = ArchiveReader.Open(partPath);
            if (CurrentVersion.Find(destination, reader.Manifest, reader.ManifestSha256, options) is { } current)
            {
                var kept = new CurrentHead(destination, reader, current);
                reader = null;
                return (true, kept);
            }

            return (true, null);
        }
        catch (EnvshipException)
        {
            // The manifest has not all arrived yet (or is damaged, which the full deploy will report).
        }
        finally
        {
            reader?.Dispose();
        }

        return (false, null);
    }

    /// <summary>Errors name the URL, not the cache file that is about to be removed.</summary>
    private static T Localized<T>(Func<T> work, string localPath, Uri uri)
    {
        try
        {
            return work();
        }
        catch (EnvshipException ex) when (ex.Message.Contains(localPath, StringComparison.Ordinal))
        {
            throw new EnvshipException(ex.Code, ex.Message.Replace(localPath + ".minisig", uri + ".minisig", StringComparison.Ordinal).Replace(localPath, uri.ToString(), StringComparison.Ordinal), ex);
        }
    }
}
