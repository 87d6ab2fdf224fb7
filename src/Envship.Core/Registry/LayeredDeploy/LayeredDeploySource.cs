using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Registry.Pull;

namespace Envship.Core.Registry.LayeredDeploy;

/// <summary>Where a layer's members came from in a deploy.</summary>
public enum LayerOrigin
{
    Fetched,
    Cache,
    Destination,
}

public sealed record LayerOutcome(string Title, string Digest, long Size, LayerOrigin Origin);

/// <summary>A layer read (or taken from DEST) in order; <see cref="BytesFetched"/> counts every fetch so far.</summary>
public readonly record struct LayerProgress(int LayersDone, int LayersTotal, string Title, LayerOrigin Origin, long BytesFetched);

/// <summary>
/// An OCI environment's layers as one deploy source. When the members are first read (under the
/// deploy lock), it decides per layer: taken from DEST (<see cref="DestinationReuse"/>), read from the
/// blob cache, or fetched into the cache, a few at a time, each renamed in only once its digest checks
/// out. Layers are then read in order, so the staging extractor sees members exactly as a single-file
/// archive would give them, and checks every file against the manifest as it always does.
/// </summary>
public sealed class LayeredDeploySource : IDeploySource
{
    private readonly IOciSource _source;
    private readonly ResolvedEnvironment _environment;
    private readonly BlobCache _cache;
    private readonly string? _reuseFrom;
    private readonly int _parallel;
    private readonly IProgress<LayerProgress>? _progress;
    private readonly CancellationTokenSource _stop;
    private readonly List<RecordedLayer> _recorded = [];
    private readonly List<LayerOutcome> _outcomes = [];
    private readonly List<Task> _fetches = [];
    private LayerMemberReader? _current;
    private long _bytesFetched;

    /// <param name="reuseFrom">DEST when its unchanged layers may be copied from it instead of fetched; null to read every layer.</param>
    public LayeredDeploySource(IOciSource source, ResolvedEnvironment environment, Manifest manifest, BlobCache cache, string? reuseFrom, int parallel, IProgress<LayerProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        _source = source;
        _environment = environment;
        _cache = cache;
        _reuseFrom = reuseFrom;
        _parallel = Math.Clamp(parallel, 1, 8);
        _progress = progress;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Manifest = manifest;
        ManifestSha256 = environment.Image.Config.Digest["sha256:".Length..];
    }

    public string Location => _environment.Location;
    public string Origin => $"{_source.Location}@{_environment.Manifest.Digest}";
    public Manifest Manifest { get; }
    public string ManifestSha256 { get; }
    public ArchiveFormat Format => ArchiveFormat.TarZst;

    /// <summary>Layer bytes fetched so far (the manifest and config are counted by the caller).</summary>
    public long LayerBytesFetched => Interlocked.Read(ref _bytesFetched);
    public IReadOnlyList<LayerOutcome> Outcomes => _outcomes;

    public IEnumerable<ArchiveMember> ReadMembers()
    {
        var layers = _environment.Image.Layers;
        var reused = _reuseFrom is null ? new Dictionary<int, IReadOnlyList<ReusedMember>>() : DestinationReuse.Find(_reuseFrom, Manifest, layers, _stop.Token);
        var budget = ExpansionLimitStream.BudgetFor(Manifest, 0);
        var blobs = StartFetches(reused);
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var title = Title(i);
            var paths = new List<string>();
            LayerOrigin origin;
            if (reused.TryGetValue(i, out var members))
            {
                origin = LayerOrigin.Destination;
                foreach (var member in members)
                {
                    paths.Add(member.Entry.Path);
                    if (member.DeployedSha256 is null)
                    {
                        yield return new ArchiveMember(member.Entry.Path, member.Entry.Type, member.Entry.Target, null);
                        continue;
                    }

                    using var data = new FileStream(Path.Combine(_reuseFrom!, member.Entry.Path), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                    yield return new ArchiveMember(member.Entry.Path, EntryType.File, null, data) { Size = member.DeployedSize, DeployedSha256 = member.DeployedSha256 };
                }
            }
            else
            {
                var (path, fetched) = Await(blobs[i]!);
                origin = fetched ? LayerOrigin.Fetched : LayerOrigin.Cache;
                _current = new LayerMemberReader(path, Manifest, budget, $"{Location}: layer '{title}' ({layer.Digest})");
                try
                {
                    while (_current.Next() is { } member)
                    {
                        paths.Add(member.Path);
                        yield return member;
                    }

                    _current.ReadToEnd();
                }
                finally
                {
                    _current.Dispose();
                    _current = null;
                }
            }

            _outcomes.Add(new LayerOutcome(title, layer.Digest, layer.Size, origin));
            if (i > 0)
            {
                _recorded.Add(new RecordedLayer(layer.Digest, title, paths));
            }

            _progress?.Report(new LayerProgress(i + 1, layers.Count, title, origin, LayerBytesFetched));
        }
    }

    /// <summary>Every layer was read to its end as it finished.</summary>
    public void ReadToEnd()
    {
    }

    public EnvshipException Damaged(Exception cause) =>
        _current?.Damaged(cause) ?? new EnvshipException(ExitCode.DamagedArchive, $"{Location}: a layer is damaged ({cause.Message}). Push the environment again.", cause);

    public IReadOnlyList<string> WriteRecords(string staging)
    {
        LayerRecord.Save(staging, _environment.Manifest.Digest, _recorded);
        return [LayerRecord.RelativePath];
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            Task.WaitAll([.. _fetches]);
        }
        catch (AggregateException)
        {
            // The deploy has already failed or finished; a fetch cut short by it has nothing to add.
        }

        _current?.Dispose();
        _stop.Dispose();
    }

    private string Title(int index) =>
        _environment.Image.Layers[index].Annotations?.GetValueOrDefault(OciAnnotations.Title) ?? $"layer {index + 1}";

    /// <summary>Starts checking cached blobs and fetching missing ones, at most <see cref="_parallel"/> at once, in layer order.</summary>
    private Task<(string Path, bool Fetched)>?[] StartFetches(IReadOnlyDictionary<int, IReadOnlyList<ReusedMember>> reused)
    {
        var layers = _environment.Image.Layers;
        var blobs = new Task<(string, bool)>?[layers.Count];
        var gate = new SemaphoreSlim(_parallel);
        for (var i = 0; i < layers.Count; i++)
        {
            if (reused.ContainsKey(i))
            {
                continue;
            }

            var layer = layers[i];
            var what = $"{Location}: layer '{Title(i)}'";
            var token = _stop.Token;
            blobs[i] = Task.Run(async () =>
            {
                await gate.WaitAsync(token).ConfigureAwait(false);
                try
                {
                    if (_cache.TryHit(layer) is { } cached && _cache.Check(layer, token))
                    {
                        return (cached, false);
                    }

                    var path = await _cache.FetchAsync(_source, layer, what, n => Interlocked.Add(ref _bytesFetched, n), token).ConfigureAwait(false);
                    return (path, true);
                }
                finally
                {
                    gate.Release();
                }
            }, token);
            _fetches.Add(blobs[i]!);
        }

        return blobs;
    }

    private static (string Path, bool Fetched) Await(Task<(string Path, bool Fetched)> fetch)
    {
        try
        {
            return fetch.GetAwaiter().GetResult();
        }
        catch (TaskCanceledException) when (fetch.IsCanceled)
        {
            throw new OperationCanceledException("the deploy was cancelled while layers were fetched");
        }
    }
}
