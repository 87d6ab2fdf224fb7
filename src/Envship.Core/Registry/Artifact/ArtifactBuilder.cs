using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Hashing;

namespace Envship.Core.Registry.Artifact;

public sealed record ArtifactOptions
{
    /// <summary>zstd level of the layers (1-19).</summary>
    public int Level { get; init; } = 3;
    public int Jobs { get; init; } = Environment.ProcessorCount;

    /// <summary>Where the work directory goes (default: the system's temporary directory).</summary>
    public string? TemporaryDirectory { get; init; }
}

/// <summary>
/// Builds the OCI artifact of an environment from a single-file archive (or a prefix, packed first).
/// The archive is read once, verified as deploy verifies it (manifest digest, every file's sha256),
/// and its regular files are spooled into a work directory, because a package's files are scattered
/// through the archive in path order; each layer is then written from the spool. Disk cost: the
/// environment's uncompressed file bytes plus its compressed layers, both removed on dispose.
/// </summary>
public static class ArtifactBuilder
{
    private const long BigLayerBytes = 16L << 20;

    public static BuiltArtifact FromArchive(string archivePath, ArtifactOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(archivePath);
        options ??= new ArtifactOptions();
        var work = WorkDirectory(options, "envship-artifact-");
        try
        {
            using var reader = ArchiveReader.Open(archivePath);
            var manifest = reader.Manifest;
            var configPath = Path.Combine(work, "config.json");
            var config = ArchiveManifestBytes.Copy(archivePath, reader.Format, reader.ManifestSha256, configPath);
            var exports = reader.ReadMetadata();
            var spool = Path.Combine(work, "files");
            Spool(reader, spool, cancellationToken);

            var (conda, pip) = LayerOwners.Find(manifest, path => File.ReadAllBytes(Path.Join(spool, path)));
            var plan = LayerPlan.Plan(manifest, conda, pip);
            // Most layers are a single zstd frame, which one thread compresses: they go several at once,
            // and a big one gets every thread. The bytes are the same for any number of threads.
            var layers = new LayerBlob[plan.Count];
            Parallel.For(0, plan.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Jobs), CancellationToken = cancellationToken }, i =>
            {
                var bytes = plan[i].Entries.Sum(e => e.Type == EntryType.File ? e.Size : 0);
                layers[i] = LayerWriter.Write(
                    plan[i],
                    entry => new FileStream(Path.Join(spool, entry.Path), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan),
                    name => exports[name],
                    Path.Combine(work, $"layer-{i:D5}.tar.zst"),
                    options.Level,
                    bytes > BigLayerBytes ? options.Jobs : 1,
                    cancellationToken);
            });

            Directory.Delete(spool, recursive: true);
            return new BuiltArtifact(work, manifest, config, configPath, layers);
        }
        catch
        {
            Directory.Delete(work, recursive: true);
            throw;
        }
    }

    /// <summary>Packs the prefix to a temporary archive (exactly what <c>envship pack</c> writes) and builds from that.</summary>
    public static BuiltArtifact FromPrefix(PackOptions pack, ArtifactOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pack);
        options ??= new ArtifactOptions();
        var scratch = WorkDirectory(options, "envship-push-");
        try
        {
            var archive = Path.Combine(scratch, "environment.tar.zst");
            EnvironmentPacker.Pack(pack with { Output = archive, Format = ArchiveFormat.TarZst, Force = true }, cancellationToken);
            return FromArchive(archive, options, cancellationToken);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static string WorkDirectory(ArtifactOptions options, string prefix)
    {
        if (options.TemporaryDirectory is null)
        {
            return Directory.CreateTempSubdirectory(prefix).FullName;
        }

        var path = Path.Combine(options.TemporaryDirectory, prefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Writes every regular file to the spool, checking each member against the manifest and each file's sha256.</summary>
    private static void Spool(ArchiveReader reader, string spool, CancellationToken cancellationToken)
    {
        var manifest = reader.Manifest;
        var expected = manifest.Entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Directory.CreateDirectory(spool);
        var buffer = new byte[1 << 16];
        try
        {
            foreach (var member in reader.ReadMembers())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!expected.TryGetValue(member.Path, out var entry) || entry.Type != member.Type || !seen.Add(member.Path))
                {
                    throw new EnvshipException(ExitCode.DamagedArchive, $"{reader.ArchivePath}: member '{member.Path}' ({member.Type}) is not what the manifest lists, or appears twice. The archive was not made by envship or was tampered with; do not push it.");
                }

                if (entry.Type != EntryType.File)
                {
                    continue;
                }

                var path = Path.Join(spool, entry.Path);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                using var hash = Sha256.CreateHasher();
                long size = 0;
                using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    int read;
                    while ((read = member.Data!.Read(buffer)) > 0)
                    {
                        hash.AppendData(buffer, 0, read);
                        output.Write(buffer, 0, read);
                        size += read;
                    }
                }

                if (size != entry.Size || Convert.ToHexStringLower(hash.GetHashAndReset()) != entry.Sha256)
                {
                    throw new EnvshipException(ExitCode.DamagedArchive, $"{reader.ArchivePath}: member '{entry.Path}' does not match the size and SHA-256 in the manifest. Copy the archive again; if it persists, it was tampered with: do not push it.");
                }
            }

            reader.ReadToEnd();
        }
        catch (Exception ex) when (ArchiveReader.IsDamage(ex))
        {
            throw reader.Damaged(ex);
        }

        if (seen.Count != expected.Count)
        {
            var missing = manifest.Entries.First(e => !seen.Contains(e.Path)).Path;
            throw new EnvshipException(ExitCode.DamagedArchive, $"{reader.ArchivePath}: the archive ends before '{missing}' ({expected.Count - seen.Count} of {expected.Count} entries missing): it is truncated. Copy it again.");
        }
    }
}
