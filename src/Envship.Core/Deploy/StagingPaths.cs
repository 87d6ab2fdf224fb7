using Envship.Core.Platform;

namespace Envship.Core.Deploy;

/// <summary>
/// Creates the directories of a staging tree one level at a time, checking with lstat that every
/// component is a real directory. Files are then created with O_EXCL, which never follows a final
/// symlink, so no write can pass through a symlink, whatever the archive put there earlier.
/// </summary>
internal sealed class StagingPaths(string staging, string archivePath)
{
    // Once checked, a component stays a directory: the extractor never removes or replaces an entry,
    // and the staging directory is private (0700) until the end.
    private readonly HashSet<string> _realDirectories = new(StringComparer.Ordinal) { "" };

    public string Root => staging;

    /// <summary>Makes sure <paramref name="relative"/> and all its parents are real directories in staging; returns its full path.</summary>
    public string EnsureDirectory(string relative)
    {
        var full = Path.Combine(staging, relative);
        if (_realDirectories.Contains(relative))
        {
            return full;
        }

        EnsureDirectory(Path.GetDirectoryName(relative) ?? "");
        switch (UnixFileSystem.TryStat(full)?.Kind)
        {
            case null:
                Directory.CreateDirectory(full);
                break;
            case UnixFileKind.Directory:
                break;
            case UnixFileKind.SymbolicLink:
                throw Refused(relative, "is a symlink, and envship never creates anything through a symlink");
            default:
                throw Refused(relative, "is not a directory");
        }

        _realDirectories.Add(relative);
        return full;
    }

    /// <summary>The full path for a new entry whose parents are all real directories, and which does not exist yet.</summary>
    public string PrepareEntry(string relative)
    {
        EnsureDirectory(Path.GetDirectoryName(relative) ?? "");
        var full = Path.Combine(staging, relative);
        if (UnixFileSystem.TryStat(full) is not null)
        {
            throw AlreadyExists(relative);
        }

        return full;
    }

    /// <summary>
    /// The full path for a new regular file whose parents are all real directories. Whoever creates
    /// it must use O_EXCL and report a clash with <see cref="AlreadyExists"/>: that is the same check
    /// as <see cref="PrepareEntry"/>'s, made atomically by the kernel instead of by a separate lstat.
    /// </summary>
    public string PrepareNewFile(string relative)
    {
        EnsureDirectory(Path.GetDirectoryName(relative) ?? "");
        return Path.Combine(staging, relative);
    }

    /// <summary>The refusal for an entry whose path is already taken. Safe to call from any thread.</summary>
    public EnvshipException AlreadyExists(string relative) =>
        Refused(relative, "already exists in the staging directory (a duplicate or overlapping entry)");

    private EnvshipException Refused(string relative, string why) =>
        new(ExitCode.DamagedArchive, $"{archivePath}: refusing to write '{relative}': it or a parent {why}. Nothing was written outside the staging directory; the archive was tampered with, do not deploy it.");
}
