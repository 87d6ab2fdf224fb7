namespace Envship.Core.Deploy;

/// <summary>
/// Where envship keeps its own state for one destination. Everything lives beside DEST, on the same
/// filesystem, so every move between these paths is a single rename(2).
/// </summary>
/// <remarks>
/// <c>.NAME.envship/</c> holds the lock, the journal of a switch in progress and <c>previous/</c>,
/// the tree that <c>rollback</c> brings back. Staging trees stay at <c>.NAME.envship-staging-*</c>.
/// </remarks>
public sealed record DeployLayout(string Destination)
{
    public string Parent { get; } = Path.GetDirectoryName(Destination)!;
    public string Name { get; } = Path.GetFileName(Destination);
    public string StateDirectory => Path.Combine(Parent, $".{Name}.envship");
    public string LockFile => Path.Combine(StateDirectory, "lock");
    public string OwnerFile => Path.Combine(StateDirectory, "lock.owner");
    public string JournalFile => Path.Combine(StateDirectory, "journal.json");
    public string Previous => Path.Combine(StateDirectory, "previous");

    /// <summary>Where the current tree waits during a rollback that has to fall back to two renames.</summary>
    public string SwapTemporary => Path.Combine(StateDirectory, "swapping");
    public string StagingPattern => $".{Name}{StagingDirectory.Marker}*";

    public static DeployLayout For(string destination) => new(Deployer.NormalizePrefix(destination));

    public string NewTrashPath() => Path.Combine(StateDirectory, $"trash-{Guid.NewGuid():N}");

    /// <summary>Names a staging tree takes, in one rename, before it is deleted; see <see cref="StagingDirectory.Discard"/>.</summary>
    public const string DiscardedPattern = "discarded-*";

    public string NewDiscardedPath() => Path.Combine(StateDirectory, $"discarded-{Guid.NewGuid():N}");
}
