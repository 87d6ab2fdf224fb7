using Envship.Core.Platform;

namespace Envship.Core.Deploy;

/// <summary>One tree kept for a destination. Fields are null for a tree envship did not deploy (replaced with <c>--replace-foreign</c>).</summary>
public sealed record DeployedVersion(
    string Slot,
    string Path,
    string? ManifestSha256,
    DateTimeOffset? DeployedAt,
    string? ArchivePath,
    string? SignerKeyId);

/// <summary>
/// Rollback and history. Each tree carries its own receipt, so what <c>history</c> reports moves with
/// the tree through every swap and can never disagree with what is on disk.
/// </summary>
public static class DeployedVersions
{
    public const string CurrentSlot = "current";
    public const string PreviousSlot = "previous";

    /// <summary>
    /// The current tree and the previous one, if kept. A destination that envship did not deploy (no
    /// receipt, no previous tree) is a usage error, as it is for <c>verify</c>: there is no history to show.
    /// </summary>
    public static IReadOnlyList<DeployedVersion> List(string destination)
    {
        var layout = DeployLayout.For(destination);
        if (UnixFileSystem.TryStat(layout.Destination) is null)
        {
            throw new EnvshipException(ExitCode.Usage, $"{layout.Destination}: does not exist. Check the path, or deploy there first with 'envship deploy ARCHIVE --prefix {layout.Destination}'.");
        }

        // With a previous tree kept, envship manages this path even if the current tree is not its own.
        if (!File.Exists(System.IO.Path.Combine(layout.Destination, Receipt.RelativePath)) && !Directory.Exists(layout.Previous))
        {
            throw Receipt.NotDeployed(layout.Destination);
        }

        return Kept(layout);
    }

    private static List<DeployedVersion> Kept(DeployLayout layout)
    {
        var versions = new List<DeployedVersion> { Describe(CurrentSlot, layout.Destination) };
        if (Directory.Exists(layout.Previous))
        {
            versions.Add(Describe(PreviousSlot, layout.Previous));
        }

        return versions;
    }

    /// <summary>Swaps the previous tree back in; the current one becomes the previous, so a second rollback undoes the first.</summary>
    public static IReadOnlyList<DeployedVersion> Rollback(string destination, bool wait, CancellationToken cancellationToken = default)
    {
        var layout = DeployLayout.For(destination);
        Deployer.RefuseSymlink(layout.Destination);
        using (DeployLock.Acquire(layout, wait, cancellationToken))
        {
            TreeSwitch.Recover(layout);
            StagingDirectory.RemoveLeftovers(layout);
            if (!Directory.Exists(layout.Previous))
            {
                throw new EnvshipException(
                    ExitCode.NoPreviousVersion,
                    $"{layout.Previous}: no previous version of '{layout.Destination}' is kept, so there is nothing to roll back to. Only 'envship deploy --replace' keeps the tree it replaces.");
            }

            if (!Directory.Exists(layout.Destination))
            {
                throw new EnvshipException(ExitCode.Usage, $"{layout.Destination}: does not exist, so there is nothing to swap with '{layout.Previous}'. Move that directory to '{layout.Destination}' by hand if you want it back.");
            }

            TreeSwitch.SwapWithPrevious(layout);
        }

        return Kept(layout);
    }

    private static DeployedVersion Describe(string slot, string path)
    {
        if (!File.Exists(System.IO.Path.Combine(path, Receipt.RelativePath)))
        {
            return new DeployedVersion(slot, path, null, null, null, null);
        }

        var receipt = Receipt.Load(path);
        return new DeployedVersion(slot, path, receipt.ManifestSha256, receipt.DeployedAt, receipt.ArchivePath, receipt.SignerKeyId);
    }
}
