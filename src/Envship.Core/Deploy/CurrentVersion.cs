using System.Text.Json;
using Envship.Core.Manifests;

namespace Envship.Core.Deploy;

/// <summary>DEST already holds what a deploy was asked to put there: the same manifest, deployed at the same path with the same permissions.</summary>
public sealed record UnchangedDeploy(string Destination, string ManifestSha256, DateTimeOffset DeployedAt, string ArchivePath);

/// <summary>
/// Idempotent deploys. The content at DEST is known by the manifest digest its receipt records, so a deploy of
/// that same content is answered from the receipt: nothing is staged, swapped or written, and the tree kept for
/// rollback stays the real previous version. Drift (files changed at DEST since) is <c>verify</c>'s job;
/// <see cref="DeployOptions.Redeploy"/> deploys again regardless.
/// </summary>
internal static class CurrentVersion
{
    private const int ReceiptHeadBytes = 1 << 16;

    /// <summary>
    /// A cheap hint from the head of DEST's receipt, read before the lock so a plain <c>deploy</c> into a current DEST
    /// is not refused as occupied. Never acted on alone: <see cref="Find"/> decides, under the lock.
    /// </summary>
    public static bool MayHold(string destination, string manifestSha256, DeployOptions options)
    {
        if (options.Redeploy)
        {
            return false;
        }

        Deployer.RefuseSymlink(destination);
        return PeekDigest(Path.Combine(destination, Receipt.RelativePath)) == manifestSha256;
    }

    /// <summary>Under the deploy lock and after recovery: the receipt names the same manifest, destination and permissions.</summary>
    public static UnchangedDeploy? Find(string destination, Manifest manifest, string manifestSha256, DeployOptions options)
    {
        if (!MayHold(destination, manifestSha256, options))
        {
            return null;
        }

        Receipt receipt;
        try
        {
            receipt = Receipt.Load(destination);
        }
        catch (EnvshipException)
        {
            // A damaged receipt proves nothing; the deploy goes on and --replace decides as it always has.
            return null;
        }

        if (receipt.ManifestSha256 != manifestSha256 || receipt.Destination != destination)
        {
            return null;
        }

        var policy = SharedInstall.PolicyFor(options.Group, options.Shared, options.PreserveSpecialBits);
        if ((receipt.GroupId ?? PermissionPolicy.NoGroup) != policy.GroupId || !SameModes(policy.Apply(manifest), receipt.Manifest))
        {
            return null;
        }

        return new UnchangedDeploy(destination, manifestSha256, receipt.DeployedAt, receipt.ArchivePath);
    }

    /// <summary>What a deploy does before staging, for a caller that has only the archive's head: lock, recover, then <see cref="Find"/>.</summary>
    public static UnchangedDeploy? CheckUnderLock(string destination, Archive.ArchiveReader reader, DeployOptions options, CancellationToken cancellationToken)
    {
        var layout = new DeployLayout(destination);
        using var deployLock = DeployLock.Acquire(layout, options.Wait, cancellationToken);
        TreeSwitch.Recover(layout);
        StagingDirectory.RemoveLeftovers(layout);
        return Find(destination, reader.Manifest, reader.ManifestSha256, options);
    }

    /// <summary>--shared and --preserve-special-bits show only in the modes, which the receipt records as deployed.</summary>
    private static bool SameModes(Manifest wanted, Manifest deployed)
    {
        if (wanted.Root.Mode != deployed.Root.Mode || wanted.Entries.Count != deployed.Entries.Count)
        {
            return false;
        }

        var modes = new Dictionary<string, int>(deployed.Entries.Count, StringComparer.Ordinal);
        foreach (var entry in deployed.Entries)
        {
            modes[entry.Path] = entry.Mode;
        }

        return wanted.Entries.All(e => modes.TryGetValue(e.Path, out var mode) && mode == e.Mode);
    }

    /// <summary>The receipt's top-level <c>manifest_sha256</c>, which comes before the file list; null when it is not in the head.</summary>
    private static string? PeekDigest(string receiptPath)
    {
        byte[] head;
        int length;
        try
        {
            using var file = new FileStream(receiptPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
            head = new byte[ReceiptHeadBytes];
            length = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var reader = new Utf8JsonReader(head.AsSpan(0, length), isFinalBlock: length < head.Length, default);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("manifest_sha256"u8))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= 1)
                {
                    // Nested values (the file list, the manifest) come after the digest in every receipt envship writes.
                    return null;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return null;
    }
}
