using System.Buffers;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Trust;
using Envship.Core.Hashing;

namespace Envship.Core.Deploy;

/// <summary>What a deploy would do. <see cref="Plan"/> is null exactly when <see cref="Unchanged"/> is set: the deploy would write nothing.</summary>
public sealed record DryRunResult(DeployPlan? Plan, string ManifestSha256, int MembersChecked, VerifiedSignature? Signature = null)
{
    public UnchangedDeploy? Unchanged { get; init; }
}

/// <summary>
/// <c>deploy --dry-run</c>: every preflight check, then every member read and hashed against the manifest,
/// with nothing written anywhere. It succeeds exactly when a deploy would get past every check.
/// </summary>
public static class DryRun
{
    public static DryRunResult Check(DeployOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ = Deployer.NormalizePrefix(options.Destination);
        var signature = SignatureGate.Check(options, cancellationToken);
        using var reader = ArchiveDeploySource.Open(options.ArchivePath);
        ManifestValidator.Validate(reader.Manifest, options.ArchivePath);
        return Check(reader, options, signature, cancellationToken);
    }

    /// <summary>The dry run over any source whose manifest is validated and whose signature the caller checked.</summary>
    public static DryRunResult Check(IDeploySource reader, DeployOptions options, VerifiedSignature? signature, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(options);
        var destination = Deployer.NormalizePrefix(options.Destination);
        var manifest = reader.Manifest;
        if (CurrentVersion.Find(destination, manifest, reader.ManifestSha256, options) is { } current)
        {
            return new DryRunResult(null, current.ManifestSha256, 0, signature) { Unchanged = current };
        }

        _ = Deployer.CheckDestinationIsFree(destination, options);
        var plan = Preflight.Run(manifest, reader.Location, destination, options);
        var checkedMembers = CheckMembers(reader, options.Progress, cancellationToken);
        reader.ReadToEnd();
        return new DryRunResult(plan, reader.ManifestSha256, checkedMembers, signature);
    }

    private static int CheckMembers(IDeploySource reader, IProgress<DeployProgress>? progress, CancellationToken cancellationToken)
    {
        var expected = reader.Manifest.Entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var bytesTotal = reader.Manifest.Summary.TotalBytes;
        long bytesDone = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            foreach (var member in reader.ReadMembers())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!expected.TryGetValue(member.Path, out var entry))
                {
                    throw Damaged(reader, $"member '{member.Path}' is not in the manifest");
                }

                if (!seen.Add(member.Path))
                {
                    throw Damaged(reader, $"member '{member.Path}' appears twice");
                }

                if (member.Type != entry.Type)
                {
                    throw Damaged(reader, $"member '{member.Path}' is a {member.Type} but the manifest says {entry.Type}");
                }

                if (entry.Type is EntryType.Symlink or EntryType.Hardlink && member.LinkTarget != entry.Target)
                {
                    throw Damaged(reader, $"link '{entry.Path}' points to '{member.LinkTarget}' but the manifest says '{entry.Target}'");
                }

                if (entry.Type == EntryType.File)
                {
                    CheckData(reader, member.Data, member.DeployedSha256 is null ? entry : entry with { Sha256 = member.DeployedSha256, Size = member.Size }, buffer);
                    bytesDone += entry.Size;
                }

                progress?.Report(new DeployProgress(seen.Count, expected.Count, bytesDone, bytesTotal));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (seen.Count != expected.Count)
        {
            var missing = reader.Manifest.Entries.First(e => !seen.Contains(e.Path)).Path;
            throw Damaged(reader, $"it ends before '{missing}' ({expected.Count - seen.Count} of {expected.Count} entries missing): the archive is truncated");
        }

        return seen.Count;
    }

    private static void CheckData(IDeploySource reader, Stream? data, ManifestEntry entry, byte[] buffer)
    {
        using var hash = Sha256.CreateHasher();
        long length = 0;
        try
        {
            int read;
            while (data is not null && (read = data.Read(buffer, 0, buffer.Length)) > 0)
            {
                length += read;
                if (length > entry.Size)
                {
                    throw Damaged(reader, $"'{entry.Path}' holds more than the {entry.Size} bytes the manifest declares");
                }

                hash.AppendData(buffer, 0, read);
            }
        }
        catch (Exception ex) when (ArchiveReader.IsDamage(ex))
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{reader.Location}: the archive is damaged inside '{entry.Path}' ({ex.Message}). Copy the archive again and check its sha256.", ex);
        }

        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (length != entry.Size || actual != entry.Sha256)
        {
            throw Damaged(reader, $"'{entry.Path}' does not match the manifest (expected {entry.Size} bytes with sha256 {entry.Sha256}, found {length} bytes with sha256 {actual})");
        }
    }

    private static EnvshipException Damaged(IDeploySource reader, string what) =>
        new(ExitCode.DamagedArchive, $"{reader.Location}: {what}. The archive is damaged or was tampered with; copy it again and check its sha256.");
}
