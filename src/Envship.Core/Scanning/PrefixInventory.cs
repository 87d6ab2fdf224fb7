using System.IO.Enumeration;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;

namespace Envship.Core.Scanning;

/// <summary>One archive member to be: its manifest entry and where its bytes come from.</summary>
/// <param name="SourceRoot">The prefix the file is read from, under its <c>Entry.Path</c>; null for what is not a regular file.</param>
/// <param name="Content">In-memory bytes that replace the file's, for small pack-time rewrites such as conda-meta records.</param>
public sealed record InventoryItem(ManifestEntry Entry, string? SourceRoot, byte[]? Content = null)
{
    /// <summary>A pack-time rewrite of the file, archived instead of it.</summary>
    public string? SpooledPath { get; init; }

    /// <summary>
    /// The file whose bytes are archived. Built on demand rather than stored: a 200,000-file
    /// environment would otherwise hold 200,000 absolute paths for the whole pack.
    /// </summary>
    public string? SourcePath => SpooledPath ?? (SourceRoot is null ? null : Path.Join(SourceRoot, Entry.Path));

    /// <summary>For ELF files: the highest glibc version they need, which becomes the manifest's floor.</summary>
    public string? GlibcFloor { get; init; }

    /// <summary>This planned file with its analysis, and the rewritten bytes that replace its own if any.</summary>
    public InventoryItem Analyzed(FileAnalysis analysis, byte[]? content)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        return this with { Entry = Entry with { Size = analysis.Size, Sha256 = analysis.Sha256, Relocation = analysis.Relocation }, Content = content, GlibcFloor = analysis.GlibcFloor };
    }
}

public sealed record Inventory(IReadOnlyList<InventoryItem> Items, ManifestRoot Root, IReadOnlyList<string> Warnings);

/// <summary>
/// A walked prefix: <see cref="FilesToAnalyze"/> indexes the regular files still without a hash. A
/// single-pass pack consumes the plan, replacing each item with its analyzed form in place, so a
/// 200,000-file prefix is never held twice.
/// </summary>
public sealed record PlannedInventory(InventoryItem[] Items, IReadOnlyList<int> FilesToAnalyze, ManifestRoot Root, IReadOnlyList<string> Warnings);

public readonly record struct ScanProgress(int FilesDone, int FilesTotal, long BytesDone, long BytesTotal);

public sealed record ScanOptions
{
    public required string Prefix { get; init; }
    public PathFilter Filter { get; init; } = PathFilter.None;

    /// <summary>Relative directories left out with everything below them, such as the package cache.</summary>
    public IReadOnlyList<string> ExcludedDirectories { get; init; } = [];
    public IReadOnlyDictionary<string, PlaceholderHint> Placeholders { get; init; } = new Dictionary<string, PlaceholderHint>();

    /// <summary>Rewrites a file's bytes at pack time; returns null to keep them.</summary>
    public Func<string, byte[], byte[]?>? Rewrite { get; init; }

    /// <summary>Which files <see cref="Rewrite"/> is offered, so the rest are never read whole.</summary>
    public Func<string, bool> IsRewriteCandidate { get; init; } = _ => false;
    public int Jobs { get; init; } = Environment.ProcessorCount;
    public IProgress<ScanProgress>? Progress { get; init; }
}

/// <summary>
/// Walks a prefix in a fixed order and turns it into manifest entries: modes and nanosecond mtimes
/// from lstat, symlinks made relative when they point inside, hard links grouped by inode,
/// and every regular file hashed and searched for the prefix on all cores.
/// </summary>
public static class PrefixInventory
{
    public static Inventory Scan(ScanOptions options, CancellationToken cancellationToken = default) =>
        Analyze(options, Plan(options, cancellationToken), cancellationToken);

    /// <summary>Hashes and searches every regular file of a walked prefix on all cores.</summary>
    public static Inventory Analyze(ScanOptions options, PlannedInventory plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(plan);
        var items = plan.Items.ToArray();
        var warnings = plan.Warnings.ToList();
        AnalyzeFiles(options, items, plan.FilesToAnalyze, warnings, cancellationToken);
        return new Inventory(items, plan.Root, warnings);
    }

    /// <summary>
    /// Walks the prefix without reading any file: directories, symlinks and hard links come out
    /// complete, regular files with their size from lstat but no hash or relocation yet.
    /// </summary>
    public static PlannedInventory Plan(ScanOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var prefix = options.Prefix;
        var rootStatus = UnixFileSystem.Stat(prefix);
        var warnings = new List<string>();
        var walked = Walk(options, warnings, cancellationToken);

        var items = new InventoryItem[walked.Length];
        var files = new List<int>(walked.Length);
        var firstPathOfInode = new Dictionary<(ulong, ulong), string>();
        for (var i = 0; i < walked.Length; i++)
        {
            var (relative, status) = walked[i];
            switch (status.Kind)
            {
                case UnixFileKind.Directory:
                    items[i] = new InventoryItem(NewEntry(relative, EntryType.Directory, status), null);
                    break;
                case UnixFileKind.SymbolicLink:
                    items[i] = new InventoryItem(NewEntry(relative, EntryType.Symlink, status, target: LinkTarget(prefix, relative, Path.Combine(prefix, relative), warnings)), null);
                    break;
                case UnixFileKind.RegularFile when status.LinkCount > 1 && firstPathOfInode.TryGetValue((status.Device, status.Inode), out var first):
                    items[i] = new InventoryItem(NewEntry(relative, EntryType.Hardlink, status, target: first), null);
                    break;
                default:
                    if (status.LinkCount > 1)
                    {
                        firstPathOfInode[(status.Device, status.Inode)] = relative;
                    }

                    items[i] = new InventoryItem(NewEntry(relative, EntryType.File, status, size: status.Size), prefix);
                    files.Add(i);
                    break;
            }
        }

        return new PlannedInventory(items, files, new ManifestRoot(rootStatus.Mode, rootStatus.ModifiedNanoseconds), warnings);
    }

    private static void AnalyzeFiles(
        ScanOptions options,
        InventoryItem[] items,
        IReadOnlyList<int> queue,
        List<string> warnings,
        CancellationToken cancellationToken)
    {
        var analyzer = new FileAnalyzer(options.Prefix);
        var bytesTotal = queue.Sum(i => items[i].Entry.Size);
        var filesDone = 0;
        long bytesDone = 0;
        var fileWarnings = new List<string>[items.Length];
        Parallel.ForEach(
            queue,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Jobs), CancellationToken = cancellationToken },
            index =>
            {
                var planned = items[index];
                var relative = planned.Entry.Path;
                var absolute = planned.SourcePath!;
                options.Placeholders.TryGetValue(relative, out var hint);
                byte[]? rewritten = null;
                if (options.Rewrite is not null && options.IsRewriteCandidate(relative))
                {
                    rewritten = options.Rewrite(relative, File.ReadAllBytes(absolute));
                }

                FileAnalysis analysis;
                using (Stream stream = rewritten is null ? OpenForScan(absolute) : new MemoryStream(rewritten, writable: false))
                {
                    analysis = analyzer.Analyze(stream, relative, hint);
                }

                if (rewritten is null && analysis.Size != planned.Entry.Size)
                {
                    throw ChangedWhilePacking(absolute, planned.Entry.Size, analysis.Size);
                }

                items[index] = planned.Analyzed(analysis, rewritten);
                fileWarnings[index] = [.. analysis.Warnings];
                var done = Interlocked.Increment(ref filesDone);
                var bytes = Interlocked.Add(ref bytesDone, planned.Entry.Size);
                options.Progress?.Report(new ScanProgress(done, queue.Count, bytes, bytesTotal));
            });

        warnings.AddRange(fileWarnings.Where(w => w is not null).SelectMany(w => w));
    }

    internal static EnvshipException ChangedWhilePacking(string path, long before, long after) =>
        new(ExitCode.IoFailure, $"{path}: the file changed while it was being packed ({before} bytes, then {after}). Stop whatever is writing to the environment and pack again.");

    internal static EnvshipException GrewWhilePacking(string path, long before) =>
        new(ExitCode.IoFailure, $"{path}: the file changed while it was being packed (it grew past its {before} bytes). Stop whatever is writing to the environment and pack again.");

    /// <summary>Opens a file to be read once, front to back, with no more system calls than that needs.</summary>
    internal static Stream OpenSequential(string path) => Platform.UnixReadStream.Open(path);

    internal static FileStream OpenForScan(string path) =>
        new(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 0, Options = FileOptions.SequentialScan });

    private static ManifestEntry NewEntry(string relative, EntryType type, UnixFileStatus status, long size = 0, string? target = null) =>
        new() { Path = relative, Type = type, Mode = status.Mode, MtimeNs = status.ModifiedNanoseconds, Size = size, Target = target };

    private static string LinkTarget(string prefix, string relative, string absolute, List<string> warnings)
    {
        var target = new FileInfo(absolute).LinkTarget ?? "";
        if (Path.IsPathRooted(target))
        {
            if (IsInside(prefix, target))
            {
                var linkDirectory = Path.GetDirectoryName(absolute)!;
                return Path.GetRelativePath(linkDirectory, target);
            }

            warnings.Add($"{relative}: symlink to '{target}' leaves the environment; it is kept as it is.");
            return target;
        }

        var resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(absolute)!, target));
        if (!IsInside(prefix, resolved))
        {
            warnings.Add($"{relative}: symlink to '{target}' leaves the environment; it is kept as it is.");
        }

        return target;
    }

    internal static bool IsInside(string prefix, string path) =>
        path.Equals(prefix, StringComparison.Ordinal) || (path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length && path[prefix.Length] == '/');

    /// <summary>
    /// Lists the prefix level by level, each level's directories on all cores, with lstat relative to
    /// an open directory so the kernel never resolves the whole path again; then sorts by path.
    /// The listings are kept as the threads made them and copied once into an array of exactly the
    /// walk's size: a list grown entry by entry to 200,000 tuples reallocated its large array over
    /// and over, and each reallocation cost a full garbage collection.
    /// </summary>
    private static (string Relative, UnixFileStatus Status)[] Walk(ScanOptions options, List<string> warnings, CancellationToken cancellationToken)
    {
        var listings = new List<(string Relative, UnixFileStatus Status)[]>();
        var others = new List<string>();
        var level = new List<string> { "" };
        var excluded = new ExcludedDirectories(options.ExcludedDirectories);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Jobs), CancellationToken = cancellationToken };
        while (level.Count > 0)
        {
            var next = new List<string>();
            Parallel.ForEach(
                level,
                parallel,
                () => new List<(string Relative, UnixFileStatus Status)>(),
                (directory, _, scratch) =>
                {
                    // The scratch list only grows until it fits the largest directory; each listing is then copied at its size.
                    scratch.Clear();
                    ListDirectory(options.Prefix, excluded, directory, scratch, others);
                    var listing = scratch.ToArray();
                    lock (listings)
                    {
                        listings.Add(listing);
                        next.AddRange(listing.Where(e => e.Status.Kind == UnixFileKind.Directory).Select(e => e.Relative));
                    }

                    return scratch;
                },
                _ => { });
            level = next;
        }

        warnings.AddRange(others.Order(StringComparer.Ordinal).Select(relative => $"{relative}: not a file, directory or symlink (a device, FIFO or socket); left out."));
        var all = Sorted(listings);
        return options.Filter.IsEmpty ? all : ApplyFilter(all, options.Filter);
    }

    /// <summary>Every listing in one array, sorted by path: the sort moves a name and an index, not the whole status.</summary>
    private static (string Relative, UnixFileStatus Status)[] Sorted(List<(string Relative, UnixFileStatus Status)[]> listings)
    {
        var count = listings.Sum(l => l.Length);
        var names = new string[count];
        var statuses = new UnixFileStatus[count];
        var order = new int[count];
        var filled = 0;
        foreach (var listing in listings)
        {
            foreach (var (relative, status) in listing)
            {
                names[filled] = relative;
                statuses[filled] = status;
                order[filled] = filled;
                filled++;
            }
        }

        Array.Sort(names, order, StringComparer.Ordinal);
        var all = new (string Relative, UnixFileStatus Status)[count];
        for (var i = 0; i < count; i++)
        {
            all[i] = (names[i], statuses[order[i]]);
        }

        return all;
    }

    private static void ListDirectory(string prefix, ExcludedDirectories excluded, string directory, List<(string Relative, UnixFileStatus Status)> entries, List<string> others)
    {
        var absolute = directory.Length == 0 ? prefix : Path.Combine(prefix, directory);
        using var handle = UnixFileSystem.OpenDirectory(absolute);
        var names = new FileSystemEnumerable<string>(absolute, (ref FileSystemEntry entry) => entry.FileName.ToString(), new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = false, IgnoreInaccessible = false });
        foreach (var name in names)
        {
            var relative = directory.Length == 0 ? name : $"{directory}/{name}";
            if (excluded.Contains(relative))
            {
                continue;
            }

            var status = UnixFileSystem.TryStatAt(handle, name) ?? throw new IOException($"'{Path.Combine(prefix, relative)}' vanished while the environment was being read; stop whatever changes it and pack again.");
            if (status.Kind == UnixFileKind.Other)
            {
                lock (others)
                {
                    others.Add(relative);
                }

                continue;
            }

            entries.Add((relative, status));
        }
    }

    /// <summary>The prefix's own <c>.envship/</c> and the directories left out with everything below them.</summary>
    private sealed class ExcludedDirectories(IReadOnlyList<string> directories)
    {
        private readonly string[] _withSlash = [.. directories.Select(d => d + "/")];

        public bool Contains(string relative)
        {
            if (relative == ".envship")
            {
                return true;
            }

            foreach (var parent in _withSlash)
            {
                if (relative.StartsWith(parent, StringComparison.Ordinal) || (relative.Length == parent.Length - 1 && parent.StartsWith(relative, StringComparison.Ordinal)))
                {
                    return true;
                }
            }

            return false;
        }
    }

    private static (string Relative, UnixFileStatus Status)[] ApplyFilter((string Relative, UnixFileStatus Status)[] all, PathFilter filter)
    {
        var kept = all.Where(e => e.Status.Kind == UnixFileKind.Directory || !filter.IsExcluded(e.Relative)).ToList();
        var neededDirectories = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (relative, status) in kept)
        {
            if (status.Kind == UnixFileKind.Directory)
            {
                continue;
            }

            for (var parent = Path.GetDirectoryName(relative); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
            {
                if (!neededDirectories.Add(parent))
                {
                    break;
                }
            }
        }

        return [.. kept.Where(e => e.Status.Kind != UnixFileKind.Directory || neededDirectories.Contains(e.Relative) || !filter.IsExcluded(e.Relative))];
    }
}
