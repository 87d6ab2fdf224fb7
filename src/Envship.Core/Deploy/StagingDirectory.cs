using Envship.Core.Platform;

namespace Envship.Core.Deploy;

/// <summary>A directory beside the destination, on the same filesystem, so the final step is one rename.</summary>
public static class StagingDirectory
{
    public const string Marker = ".envship-staging-";

    /// <summary>
    /// Written first into every staging tree. Leftovers are removed only when both the name and this
    /// file say envship made them, so nothing else that matches the name pattern is ever deleted.
    /// It lives under <c>.envship/</c>, a name no archive member may take, so it never collides with a file of the environment.
    /// </summary>
    public const string MarkerFile = ".envship/staging-owner";

    public static string Create(string destination)
    {
        var parent = Path.GetDirectoryName(destination)!;
        Directory.CreateDirectory(parent);
        var path = Path.Combine(parent, $".{Path.GetFileName(destination)}{Marker}{Guid.NewGuid():N}");
        // Private until the final rename, so no other local user can swap a component for a symlink mid-extraction.
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(path, MarkerFile))!);
        File.WriteAllText(Path.Combine(path, MarkerFile), $"{Environment.ProcessId}\n");
        return path;
    }

    /// <summary>Drops the marker just before the tree goes into place, so it never shows up in DEST.</summary>
    public static void Seal(string path) => File.Delete(Path.Combine(path, MarkerFile));

    /// <summary>
    /// A deploy killed between creating the staging directory and writing its marker leaves at most an
    /// empty <c>.envship/</c> inside; removing that loses nothing, whoever made it.
    /// </summary>
    private static bool IsBareSkeleton(string candidate)
    {
        var entries = Directory.EnumerateFileSystemEntries(candidate).ToList();
        var metadata = Path.Combine(candidate, Path.GetDirectoryName(MarkerFile)!);
        return entries.Count == 0
            || (entries.Count == 1 && entries[0] == metadata && new DirectoryInfo(metadata).LinkTarget is null && !Directory.EnumerateFileSystemEntries(metadata).Any());
    }

    /// <summary>
    /// Removes staging trees an interrupted deploy left, and what an interrupted removal left; the caller holds the destination's lock.
    /// </summary>
    public static void RemoveLeftovers(DeployLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (!Directory.Exists(layout.Parent))
        {
            return;
        }

        foreach (var candidate in Directory.EnumerateDirectories(layout.Parent, layout.StagingPattern))
        {
            if (new DirectoryInfo(candidate).LinkTarget is null && (File.Exists(Path.Combine(candidate, MarkerFile)) || IsBareSkeleton(candidate)))
            {
                Discard(layout, candidate);
            }
        }

        RemoveDiscarded(layout);
    }

    /// <summary>
    /// Removes a staging tree so that a kill at any instant leaves something the next deploy recognises. Deleting
    /// in place would lose the marker at some point while thousands of files remain, and a remnant without it is
    /// never touched again; so the tree first takes a name under <c>.NAME.envship/</c>, in one rename, and only
    /// then is deleted. The caller holds the destination's lock, so the state directory exists.
    /// </summary>
    public static void Discard(DeployLayout layout, string path)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (UnixFileSystem.TryStat(path) is null)
        {
            return;
        }

        var discarded = layout.NewDiscardedPath();
        UnixFileSystem.Rename(path, discarded);
        Remove(discarded);
    }

    private static void RemoveDiscarded(DeployLayout layout)
    {
        if (!Directory.Exists(layout.StateDirectory))
        {
            return;
        }

        foreach (var discarded in Directory.EnumerateDirectories(layout.StateDirectory, DeployLayout.DiscardedPattern))
        {
            Remove(discarded);
        }
    }

    /// <summary>Removes a staging tree even where a restrictive directory mode would block deletion.</summary>
    public static void Remove(string path)
    {
        if (!Directory.Exists(path))
        {
            return;
        }

        foreach (var directory in Directory.EnumerateDirectories(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.Delete(path, recursive: true);
    }
}
