using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Envship.Core.Https;

/// <summary>How far a download is: bytes on disk, and the size the server announced (null when it did not).</summary>
public readonly record struct DownloadProgress(long BytesDone, long? BytesTotal);

/// <summary>What identifies the server's file, kept beside a partial download so a later request resumes only the same file.</summary>
internal sealed record DownloadValidator(string Url, string? ETag, string? LastModified, long? Length)
{
    /// <summary>If-Range needs a strong ETag or a date; a weak ETag cannot vouch that bytes may be spliced.</summary>
    public RangeConditionHeaderValue? RangeCondition =>
        ETag is { } etag && !etag.StartsWith("W/", StringComparison.Ordinal) ? new RangeConditionHeaderValue(new EntityTagHeaderValue(etag))
        : LastModified is { } date && DateTimeOffset.TryParse(date, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? new RangeConditionHeaderValue(at)
        : null;
}

/// <summary>
/// Downloads one URL into a partial file, resuming a dropped transfer with <c>Range</c> and <c>If-Range</c> so a file
/// changed on the server is fetched anew rather than spliced. The partial file and its validator stay on disk when
/// the transfer fails, so the next run resumes too. Memory stays at one buffer whatever the size.
/// </summary>
internal sealed partial class ResumableDownload(HttpClient client, Uri url, string partPath, TimeSpan stallTimeout, IProgress<DownloadProgress>? progress)
{
    /// <summary>Failed requests in a row, none of which brought a byte, before the download gives up.</summary>
    public const int MaxFailuresWithoutProgress = 5;
    private const int BufferBytes = 1 << 20;
    private const long FirstHeadCheck = 256 * 1024;

    private bool _answered;

    private string ValidatorPath => partPath + ".json";

    /// <summary>
    /// Called as the partial file grows (at 256 KiB, 1 MiB, 4 MiB…) with its path; returning true stops the
    /// download there. Lets a caller read the archive's manifest before the rest has arrived.
    /// </summary>
    public Func<string, bool>? OnHead { get; set; }

    /// <summary>Requests sent, and how many of them resumed with a Range: for tests and the JSON summary.</summary>
    public int Requests { get; private set; }
    public int Resumed { get; private set; }

    /// <summary>Body bytes that crossed the network in this run (a resumed run counts only what it fetched).</summary>
    public long BytesReceived { get; private set; }

    /// <summary>True when the whole file is in <c>partPath</c>; false when <see cref="OnHead"/> stopped it.</summary>
    public bool Run(CancellationToken cancellationToken) => RunAsync(cancellationToken).GetAwaiter().GetResult();

    private async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        var validator = LoadValidator();
        using var part = new FileStream(partPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
        if (validator?.RangeCondition is null)
        {
            part.SetLength(0);
            validator = null;
        }

        part.Seek(0, SeekOrigin.End);
        var failures = 0;

        // Progress is a byte beyond the furthest point ever reached: a restart from zero that refetches old ground is not.
        var furthest = part.Length;
        var nextHead = FirstHeadCheck;
        Exception? lastFailure = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var outcome = await FetchAsync(part, validator, () => nextHead, head => nextHead = head, cancellationToken).ConfigureAwait(false);
                if (outcome.Validator is not null)
                {
                    validator = outcome.Validator;
                }

                if (outcome.Done is { } done)
                {
                    return done;
                }
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken))
            {
                lastFailure = ex;

                // The answer that failed may have saved a new validator before its body dropped.
                validator = LoadValidator();
            }

            failures = part.Length > furthest ? 1 : failures + 1;
            furthest = Math.Max(furthest, part.Length);
            if (failures >= MaxFailuresWithoutProgress)
            {
                throw Dropped(part.Length, validator?.Length, lastFailure);
            }

            if (validator?.RangeCondition is null)
            {
                // Without a validator the bytes so far cannot be trusted to belong to the file a new request returns.
                part.SetLength(0);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(4000, 250 << Math.Min(failures - 1, 4))), cancellationToken).ConfigureAwait(false);
        }
    }

    private readonly record struct Outcome(bool? Done, DownloadValidator? Validator);

    private async Task<Outcome> FetchAsync(FileStream part, DownloadValidator? validator, Func<long> nextHead, Action<long> setNextHead, CancellationToken cancellationToken)
    {
        var have = part.Length;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
        if (have > 0 && validator?.RangeCondition is { } condition)
        {
            request.Headers.Range = new RangeHeaderValue(have, null);
            request.Headers.IfRange = condition;
        }

        Requests++;
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        _answered = true;
        var status = response.StatusCode;
        DownloadValidator? fresh = null;
        switch (status)
        {
            case HttpStatusCode.PartialContent when response.Content.Headers.ContentRange is { From: { } from, Length: var length } && from == have:
                Resumed++;
                fresh = validator! with { Length = length ?? validator!.Length };
                break;
            case HttpStatusCode.OK:
                // The server sends the whole file: it changed since the partial download, or it does not do ranges.
                part.SetLength(0);
                part.Seek(0, SeekOrigin.Begin);
                have = 0;
                fresh = ValidatorOf(response);
                break;
            case HttpStatusCode.RequestedRangeNotSatisfiable when validator?.Length == have:
                return new Outcome(true, validator);
            case HttpStatusCode.PartialContent or HttpStatusCode.RequestedRangeNotSatisfiable:
                // A range that does not start where the partial file ends cannot be appended: start over.
                part.SetLength(0);
                SaveValidator(null);
                return new Outcome(null, null);
            default:
                throw Refused(response);
        }

        SaveValidator(fresh);
        progress?.Report(new DownloadProgress(have, fresh.Length));
        using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[BufferBytes];
        while (true)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(stallTimeout);
            int read;
            try
            {
                read = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no byte arrived for {stallTimeout.TotalSeconds:0} s");
            }

            if (read == 0)
            {
                break;
            }

            await part.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            have += read;
            BytesReceived += read;
            progress?.Report(new DownloadProgress(have, fresh.Length));
            if (have >= nextHead() && OnHead is { } onHead)
            {
                setNextHead(nextHead() * 4);
                await part.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (onHead(partPath))
                {
                    return new Outcome(false, fresh);
                }
            }
        }

        if (fresh.Length is { } total && have != total)
        {
            throw new IOException($"the response ended at byte {have} of {total}");
        }

        await part.FlushAsync(cancellationToken).ConfigureAwait(false);
        return new Outcome(true, fresh);
    }

    private DownloadValidator ValidatorOf(HttpResponseMessage response) => new(
        url.ToString(),
        response.Headers.ETag?.ToString(),
        response.Content.Headers.LastModified?.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        response.Content.Headers.ContentLength);

    /// <summary>
    /// A dropped transfer, a stall or a 5xx is retried. So is a failed connect, but only once the server has answered in
    /// this run: a first connect that fails (refused, DNS, TLS) is reported at once, as the transport words it.
    /// </summary>
    private bool IsTransient(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested
        && (ex is IOException or TimeoutException or HttpRequestException or TaskCanceledException
            || (ex is EnvshipException { Code: ExitCode.RemoteUnavailable } && _answered));

    private DownloadValidator? LoadValidator()
    {
        if (!File.Exists(partPath) || !File.Exists(ValidatorPath))
        {
            return null;
        }

        try
        {
            var saved = JsonSerializer.Deserialize(File.ReadAllBytes(ValidatorPath), DownloadJsonContext.Default.DownloadValidator);
            return saved?.Url == url.ToString() ? saved : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void SaveValidator(DownloadValidator? validator)
    {
        if (validator is null)
        {
            File.Delete(ValidatorPath);
            return;
        }

        File.WriteAllBytes(ValidatorPath + ".new", JsonSerializer.SerializeToUtf8Bytes(validator, DownloadJsonContext.Default.DownloadValidator));
        File.Move(ValidatorPath + ".new", ValidatorPath, overwrite: true);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DownloadValidator))]
internal sealed partial class DownloadJsonContext : JsonSerializerContext;
