namespace Envship.Core.Diff;

public enum ChangeKind
{
    Added,
    Removed,
    Changed,
}

/// <summary>A conda package or pip distribution that differs; <see cref="Environment"/> is empty for the base.</summary>
public sealed record PackageChange(
    string Environment, string Name, ChangeKind Kind, string? OldVersion, string? OldBuild, string? NewVersion, string? NewBuild);

/// <summary>A file, symlink or hard link that differs, with its size on each side (0 where absent).</summary>
public sealed record FileChange(string Path, ChangeKind Kind, long OldSize, long NewSize);

public sealed record FileTotals(
    int Added, long AddedBytes, int Removed, long RemovedBytes, int Changed, long ChangedBytesBefore, long ChangedBytesAfter);

public sealed record DiffReport(
    string A,
    string B,
    IReadOnlyList<PackageChange> CondaPackages,
    IReadOnlyList<PackageChange> PipDistributions,
    IReadOnlyList<FileChange> Files,
    FileTotals FileTotals)
{
    public bool IsEmpty => CondaPackages.Count == 0 && PipDistributions.Count == 0 && Files.Count == 0;
}
