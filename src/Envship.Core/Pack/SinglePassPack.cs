using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Scanning;

namespace Envship.Core.Pack;

/// <summary>
/// Archives a walked prefix reading every file once: the bytes that go into the archive are hashed
/// and searched for the prefix on their way (on a read-ahead thread when there are two or more jobs),
/// and only ELF files and files that name the prefix are opened again, for the few bytes their
/// classification needs.
/// </summary>
internal static class SinglePassPack
{
    /// <summary>
    /// Formats whose members can be written before the manifest and get it put in front afterwards.
    /// Plain tar has no frames to concatenate, and a directory no order, so both scan first.
    /// </summary>
    public static bool Supports(ArchiveFormat format) => format is ArchiveFormat.TarZst or ArchiveFormat.TarGz;

    /// <summary>
    /// Archives every planned item, spooling its manifest entry and adding it to the tally as it goes.
    /// Each item is dropped from the plan once written, so memory shrinks as the pack proceeds.
    /// </summary>
    /// <param name="openWriter">Called once the read-ahead has started, so that whatever opening the output waits for overlaps with reading.</param>
    public static void WriteMembers(
        Func<TarArchiveWriter> openWriter,
        PlannedInventory plan,
        ScanOptions scan,
        int jobs,
        IProgress<PackProgress>? progress,
        List<string> warnings,
        ManifestEntrySpool entries,
        ManifestTally tally,
        CancellationToken cancellationToken)
    {
        var items = plan.Items;
        var files = plan.FilesToAnalyze;
        var bytesTotal = files.Sum(i => items[i].Entry.Size);
        var filesDone = 0;
        long bytesDone = 0;

        // The read-ahead reads a planned item before the file's end reaches this thread, which only
        // then drops the item: the two never touch the same slot at the same time.
        using IPackedFileSource source = jobs > 1 ? new ReadAheadFileSource(items, files, scan, cancellationToken) : new InlineFileSource(scan, cancellationToken);
        var writer = openWriter();
        for (var i = 0; i < items.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var item = items[i];
            if (item.Entry.Type == EntryType.File)
            {
                using var file = source.Next(item);
                writer.AddFile(file.Entry, file.Data);
                item = file.Finish(warnings);
                filesDone++;
                bytesDone += item.Entry.Size;
                progress?.Report(new PackProgress(PackPhase.Writing, filesDone, files.Count, bytesDone, bytesTotal));
            }
            else
            {
                writer.Add(item);
            }

            entries.Add(item.Entry);
            tally.Add(item);
            items[i] = null!;
        }
    }
}
