using Envship.Core.Scanning;

namespace Envship.Core.Archive;

/// <summary>
/// Archives a walked prefix reading every file once: the bytes that go into the archive are hashed
/// and searched for the prefix on their way, and only ELF files and files that name the prefix are
/// opened again, for the few bytes their classification needs.
/// </summary>
internal static class SinglePassPack
{
    /// <summary>
    /// Formats whose members can be written before the manifest and get it put in front afterwards.
    /// Plain tar has no frames to concatenate, and a directory no order, so both scan first.
    /// </summary>
    public static bool Supports(ArchiveFormat format) => format is ArchiveFormat.TarZst or ArchiveFormat.TarGz;

    public static IReadOnlyList<InventoryItem> WriteMembers(
        TarArchiveWriter writer,
        PlannedInventory plan,
        ScanOptions scan,
        IProgress<PackProgress>? progress,
        List<string> warnings,
        CancellationToken cancellationToken)
    {
        var analyzer = new FileAnalyzer(scan.Prefix);
        var items = plan.Items.ToArray();
        var bytesTotal = plan.FilesToAnalyze.Sum(i => items[i].Entry.Size);
        var filesDone = 0;
        long bytesDone = 0;
        for (var i = 0; i < items.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (items[i].Entry.Type != EntryType.File)
            {
                writer.Add(items[i]);
                continue;
            }

            items[i] = ArchiveFile(writer, items[i], scan, analyzer, warnings);
            filesDone++;
            bytesDone += items[i].Entry.Size;
            progress?.Report(new PackProgress(PackPhase.Writing, filesDone, plan.FilesToAnalyze.Count, bytesDone, bytesTotal));
        }

        return items;
    }

    private static InventoryItem ArchiveFile(TarArchiveWriter writer, InventoryItem planned, ScanOptions scan, FileAnalyzer analyzer, List<string> warnings)
    {
        var relative = planned.Entry.Path;
        var path = planned.SourcePath!;
        scan.Placeholders.TryGetValue(relative, out var hint);
        FileAnalysis analysis;
        if (scan.Rewrite is not null && scan.IsRewriteCandidate(relative))
        {
            var original = File.ReadAllBytes(path);
            var rewritten = scan.Rewrite(relative, original);
            if (rewritten is null && original.Length != planned.Entry.Size)
            {
                throw PrefixInventory.ChangedWhilePacking(path, planned.Entry.Size, original.Length);
            }

            var content = rewritten ?? original;
            using (var memory = new MemoryStream(content, writable: false))
            {
                analysis = analyzer.Analyze(memory, relative, hint);
            }

            var analyzed = planned.Analyzed(analysis, rewritten);
            using (var memory = new MemoryStream(content, writable: false))
            {
                writer.AddFile(analyzed.Entry, memory);
            }

            warnings.AddRange(analysis.Warnings);
            return analyzed;
        }

        using var scanner = analyzer.Begin();
        using (var stream = new ScanningReadStream(PrefixInventory.OpenForScan(path), path, planned.Entry.Size, scanner))
        {
            writer.AddFile(planned.Entry, stream);
            stream.EnsureComplete();
        }

        FileStream? reopened = null;
        try
        {
            analysis = analyzer.Complete(scanner, () => reopened ??= PrefixInventory.OpenForScan(path), relative, hint);
        }
        finally
        {
            reopened?.Dispose();
        }

        warnings.AddRange(analysis.Warnings);
        return planned.Analyzed(analysis, null);
    }
}
