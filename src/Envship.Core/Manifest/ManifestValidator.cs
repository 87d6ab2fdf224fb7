using System.Buffers;
using Envship.Core.Archive;
using Envship.Core.Pack;

namespace Envship.Core.Manifests;

/// <summary>
/// Refuses a manifest whose paths could write outside the destination (absolute paths, <c>..</c>,
/// duplicates, entries below a symlink, hard links to anything but an earlier regular file) or whose
/// numbers cannot be true (negative or inconsistent sizes, malformed hashes, relocation segments
/// outside their file). Everything the deploy later trusts is checked here, before anything is written.
/// </summary>
public static class ManifestValidator
{
    private const int MaxSegmentBytes = 1 << 20;

    /// <summary>
    /// 1 EiB, more than any filesystem holds: a manifest declaring more is lying, and keeping every
    /// size and sum far below 2^63 keeps the budgets computed from them (1.5 times, rounded up to
    /// blocks) from overflowing.
    /// </summary>
    public const long MaxTotalBytes = 1L << 60;

    /// <summary>Permission bits with setuid, setgid and sticky (07777); anything outside is not a mode.</summary>
    public const int MaxMode = 0xFFF;

    public static void Validate(Manifest manifest, string archivePath)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        CheckTopLevel(manifest, archivePath);
        var seen = new Dictionary<string, EntryType>(manifest.Entries.Count, StringComparer.Ordinal);
        long totalBytes = 0;
        foreach (var entry in manifest.Entries)
        {
            if (entry is null)
            {
                throw Tampered(archivePath, "an entry is null");
            }

            if (ArchivePaths.Problem(entry.Path) is { } problem)
            {
                throw Tampered(archivePath, $"entry '{entry.Path}' {problem}");
            }

            // Deploy keeps the receipt and relocation's temporaries there, so a member must never be able to name them.
            if (entry.Path == ".envship" || entry.Path.StartsWith(".envship/", StringComparison.Ordinal))
            {
                throw Tampered(archivePath, $"entry '{entry.Path}' takes a name reserved for what deploy itself writes (.envship/)");
            }

            if (!seen.TryAdd(entry.Path, entry.Type))
            {
                throw Tampered(archivePath, $"entry '{entry.Path}' appears twice");
            }

            if (entry.Mode is < 0 or > MaxMode)
            {
                throw Tampered(archivePath, $"entry '{entry.Path}' has mode {DescribeMode(entry.Mode)}, outside 0 to 07777");
            }

            CheckEntry(entry, seen, archivePath);
            if (entry.Type == EntryType.File)
            {
                // Each size is between 0 and the cap by now, so neither the test nor the sum can overflow.
                if (entry.Size > MaxTotalBytes - totalBytes)
                {
                    throw Tampered(archivePath, $"the file sizes add up to more than {MaxTotalBytes} bytes (1 EiB, more than any filesystem holds) at '{entry.Path}', which declares {entry.Size}");
                }

                totalBytes += entry.Size;
            }
        }

        CheckParents(manifest, seen, archivePath);

        if (manifest.Summary.TotalBytes != totalBytes)
        {
            throw Tampered(archivePath, $"the summary declares {manifest.Summary.TotalBytes} bytes of files but the entries add up to {totalBytes}");
        }
    }

    /// <summary>
    /// A second pass, so a parent declared after its children is caught as well. Paths are clean by
    /// now, so a parent is the text before a '/'; a parent whose whole chain was found clean ends the walk.
    /// </summary>
    private static void CheckParents(Manifest manifest, Dictionary<string, EntryType> seen, string archivePath)
    {
        var types = seen.GetAlternateLookup<ReadOnlySpan<char>>();
        var clean = new HashSet<string>(StringComparer.Ordinal);
        var cleanLookup = clean.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var entry in manifest.Entries)
        {
            var path = entry.Path.AsSpan();
            var nearest = path.LastIndexOf('/');
            var slash = nearest;
            while (slash > 0 && !cleanLookup.Contains(path[..slash]))
            {
                if (types.TryGetValue(path[..slash], out var parentType) && parentType != EntryType.Directory)
                {
                    throw Tampered(archivePath, $"entry '{entry.Path}' lies below '{path[..slash]}', which is a {parentType.ToString().ToLowerInvariant()}, not a directory");
                }

                slash = path[..slash].LastIndexOf('/');
            }

            for (var end = nearest; end > slash; end = path[..end].LastIndexOf('/'))
            {
                cleanLookup.Add(path[..end]);
            }
        }
    }

    internal static bool IsSafeRelativePath(string path) => ArchivePaths.Problem(path) is null;

    private static void CheckTopLevel(Manifest manifest, string archivePath)
    {
        if (manifest.Entries is null || manifest.Summary is null || manifest.Platform is null || manifest.Root is null
            || manifest.Environments is null || manifest.SourcePrefix is null || manifest.ArchiveRoot is null)
        {
            throw Tampered(archivePath, "a required field (entries, summary, platform, root, environments, source_prefix or archive_root) is missing or null");
        }

        if (manifest.ArchiveRoot.Length > 0 && ArchivePaths.Problem(manifest.ArchiveRoot.TrimEnd('/')) is { } problem)
        {
            throw Tampered(archivePath, $"archive_root '{manifest.ArchiveRoot}' {problem}");
        }

        foreach (var need in manifest.GlibcNeeds ?? [])
        {
            if (need?.Path is null || need.Glibc is null || ArchivePaths.Problem(need.Path) is not null)
            {
                throw Tampered(archivePath, $"glibc_needs names '{need?.Path}', which is not a path of the archive");
            }
        }

        foreach (var environment in manifest.Environments)
        {
            // Preflight compares min_driver number by number and prints required_by: both must be what pack writes.
            if (environment?.Cuda is { } cuda
                && ((cuda.MinDriver is not null && Relocation.GlibcVersions.Parse(cuda.MinDriver) is null)
                    || cuda.RequiredBy is null || cuda.RequiredBy.Any(char.IsControl)))
            {
                throw Tampered(archivePath, $"the CUDA requirement of environment '{environment.Path}' is not a version and a package (min_driver '{cuda.MinDriver}')");
            }
        }

        if (manifest.Root.Mode is < 0 or > MaxMode)
        {
            throw Tampered(archivePath, $"the prefix directory (root) has mode {DescribeMode(manifest.Root.Mode)}, outside 0 to 07777");
        }

        if (!manifest.SourcePrefix.StartsWith('/'))
        {
            throw Tampered(archivePath, $"source_prefix '{manifest.SourcePrefix}' is not an absolute path");
        }
    }

    private static void CheckEntry(ManifestEntry entry, Dictionary<string, EntryType> seen, string archivePath)
    {
        if (!Enum.IsDefined(entry.Type))
        {
            throw Tampered(archivePath, $"entry '{entry.Path}' has unknown type {(int)entry.Type}");
        }

        switch (entry.Type)
        {
            case EntryType.File:
                if (entry.Size < 0)
                {
                    throw Tampered(archivePath, $"file '{entry.Path}' declares a negative size ({entry.Size})");
                }

                if (entry.Size > MaxTotalBytes)
                {
                    throw Tampered(archivePath, $"file '{entry.Path}' declares {entry.Size} bytes, more than any filesystem holds (at most {MaxTotalBytes})");
                }

                // A hash held as bytes was parsed from the canonical form; only text kept as it came needs the check.
                if (entry.Digest is null && (entry.Sha256 is not { Length: 64 } sha || sha.AsSpan().ContainsAnyExcept(Sha256Digest.LowerHexDigits)))
                {
                    throw Tampered(archivePath, $"file '{entry.Path}' has no valid sha256 (64 lowercase hex digits)");
                }

                CheckRelocation(entry, archivePath);
                break;
            case EntryType.Hardlink:
                if (entry.Target is null || !seen.TryGetValue(entry.Target, out var targetType) || targetType != EntryType.File)
                {
                    throw Tampered(archivePath, $"hard link '{entry.Path}' must point to an earlier regular file in the archive, not '{entry.Target}'");
                }

                break;
            case EntryType.Symlink:
                if (string.IsNullOrEmpty(entry.Target))
                {
                    throw Tampered(archivePath, $"symlink '{entry.Path}' has no target");
                }

                if (entry.Target.Contains('\0', StringComparison.Ordinal) || System.Text.Encoding.UTF8.GetByteCount(entry.Target) > ArchivePaths.MaxPathBytes)
                {
                    throw Tampered(archivePath, $"symlink '{entry.Path}' has a target with a NUL byte or longer than {ArchivePaths.MaxPathBytes} bytes");
                }

                break;
            default:
                break;
        }
    }

    private static void CheckRelocation(ManifestEntry entry, string archivePath)
    {
        if (entry.Relocation is not { } relocation)
        {
            return;
        }

        if (!Enum.IsDefined(relocation.Kind))
        {
            throw Tampered(archivePath, $"file '{entry.Path}' has unknown relocation kind {(int)relocation.Kind}");
        }

        foreach (var segment in relocation.Segments ?? [])
        {
            var fits = segment is not null
                && segment.Offset >= 0
                && segment.Length is > 0 and <= MaxSegmentBytes
                && segment.Offset <= entry.Size - segment.Length
                && segment.StringLength >= 0 && segment.StringLength < segment.Length
                && segment.Occurrences >= 0
                && Enum.IsDefined(segment.Kind)
                && (segment.Kind != SegmentKind.ElfRunpath || segment.Value is not null)
                && (segment.SharedTails ?? []).All(t => t is not null && t.Text is not null && t.Offset > segment.Offset && t.Offset < segment.Offset + segment.Length);
            if (!fits)
            {
                throw Tampered(archivePath, $"file '{entry.Path}' has a relocation segment outside the file or with impossible lengths");
            }
        }
    }

    private static string DescribeMode(int mode) =>
        mode < 0 ? mode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "0" + Convert.ToString(mode, 8);

    private static EnvshipException Tampered(string archivePath, string what) =>
        new(ExitCode.DamagedArchive, $"{archivePath}: the manifest is unsafe: {what}. The archive was not made by envship or was tampered with; do not deploy it.");
}
