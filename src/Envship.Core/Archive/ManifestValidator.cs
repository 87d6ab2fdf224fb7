namespace Envship.Core.Archive;

/// <summary>
/// Refuses a manifest whose paths could write outside the destination: absolute paths, <c>..</c>,
/// duplicates, entries below a symlink, and hard links to anything but an earlier regular file.
/// </summary>
public static class ManifestValidator
{
    public static void Validate(Manifest manifest, string archivePath)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var seen = new Dictionary<string, EntryType>(StringComparer.Ordinal);
        foreach (var entry in manifest.Entries)
        {
            if (!IsSafeRelativePath(entry.Path))
            {
                throw Tampered(archivePath, $"entry '{entry.Path}' is not a plain relative path (absolute, empty, '.' or '..' components)");
            }

            if (!seen.TryAdd(entry.Path, entry.Type))
            {
                throw Tampered(archivePath, $"entry '{entry.Path}' appears twice");
            }

            for (var parent = Path.GetDirectoryName(entry.Path); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
            {
                if (seen.TryGetValue(parent, out var parentType) && parentType != EntryType.Directory)
                {
                    throw Tampered(archivePath, $"entry '{entry.Path}' lies below '{parent}', which is a {parentType.ToString().ToLowerInvariant()}, not a directory");
                }
            }

            if (entry.Type == EntryType.Hardlink && (entry.Target is null || !seen.TryGetValue(entry.Target, out var targetType) || targetType != EntryType.File))
            {
                throw Tampered(archivePath, $"hard link '{entry.Path}' must point to an earlier regular file in the archive, not '{entry.Target}'");
            }

            if (entry.Type == EntryType.Symlink && string.IsNullOrEmpty(entry.Target))
            {
                throw Tampered(archivePath, $"symlink '{entry.Path}' has no target");
            }
        }
    }

    internal static bool IsSafeRelativePath(string path) =>
        path.Length > 0
        && !path.StartsWith('/')
        && !path.Contains('\0', StringComparison.Ordinal)
        && path.Split('/').All(part => part.Length > 0 && part != "." && part != "..");

    private static EnvshipException Tampered(string archivePath, string what) =>
        new(ExitCode.DamagedArchive, $"{archivePath}: the manifest is unsafe: {what}. The archive was not made by envship or was tampered with; do not deploy it.");
}
