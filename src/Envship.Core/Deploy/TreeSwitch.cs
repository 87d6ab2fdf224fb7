using System.Text.Json;
using System.Text.Json.Serialization;
using Envship.Core.Platform;

namespace Envship.Core.Deploy;

/// <summary>Written before a staged tree goes into place, so a crash at any point can be finished or undone.</summary>
internal sealed record SwitchJournal(string Staging, ulong NewInode, bool Replacing);

/// <summary>
/// Puts a verified tree in place and swaps versions. Where the kernel can, the new tree and DEST are
/// exchanged by renameat2(RENAME_EXCHANGE), so DEST never goes missing; elsewhere two renames leave
/// it missing only between them, and <see cref="Recover"/> completes the switch after a crash there.
/// Every method here runs under the destination's <see cref="DeployLock"/>.
/// </summary>
internal static class TreeSwitch
{
    /// <summary>Records the switch, then drops the staging marker: from here on the journal owns the staging tree.</summary>
    public static void Prepare(DeployLayout layout, string staging, bool replacing)
    {
        var journal = new SwitchJournal(staging, UnixFileSystem.Stat(staging).Inode, replacing);
        var written = layout.JournalFile + ".new";
        using (var stream = new FileStream(written, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, journal, SwitchJournalJsonContext.Default.SwitchJournal);
            stream.Flush(flushToDisk: true);
        }

        // Renamed into place so a crash never leaves half a journal; a lone ".new" means no switch began.
        UnixFileSystem.Rename(written, layout.JournalFile);

        StagingDirectory.Seal(staging);
    }

    public static void Commit(DeployLayout layout, string staging, bool replacing)
    {
        if (!replacing)
        {
            UnixFileSystem.Rename(staging, layout.Destination);
        }
        else if (UnixFileSystem.TryExchange(staging, layout.Destination))
        {
            DropPrevious(layout);
            UnixFileSystem.Rename(staging, layout.Previous);
        }
        else
        {
            DropPrevious(layout);
            UnixFileSystem.Rename(layout.Destination, layout.Previous);
            UnixFileSystem.Rename(staging, layout.Destination);
        }

        File.Delete(layout.JournalFile);
        RemoveTrash(layout);
    }

    /// <summary>The current tree becomes the previous one and the previous one current; twice is a no-op.</summary>
    public static void SwapWithPrevious(DeployLayout layout)
    {
        if (!UnixFileSystem.TryExchange(layout.Previous, layout.Destination))
        {
            UnixFileSystem.Rename(layout.Destination, layout.SwapTemporary);
            UnixFileSystem.Rename(layout.Previous, layout.Destination);
            UnixFileSystem.Rename(layout.SwapTemporary, layout.Previous);
        }
    }

    /// <summary>Brings an interrupted deploy or rollback to a consistent state: DEST is wholly the old or the new tree.</summary>
    public static void Recover(DeployLayout layout)
    {
        if (Exists(layout.SwapTemporary))
        {
            if (!Exists(layout.Destination))
            {
                UnixFileSystem.Rename(layout.Previous, layout.Destination);
            }

            UnixFileSystem.Rename(layout.SwapTemporary, layout.Previous);
        }

        if (File.Exists(layout.JournalFile))
        {
            RecoverSwitch(layout, LoadJournal(layout.JournalFile));
            File.Delete(layout.JournalFile);
        }

        File.Delete(layout.JournalFile + ".new");
        RemoveTrash(layout);
    }

    private static void RecoverSwitch(DeployLayout layout, SwitchJournal journal)
    {
        var current = UnixFileSystem.TryStat(layout.Destination);
        if (!Exists(journal.Staging))
        {
            return;
        }

        if (current is null)
        {
            // Only the fallback's first rename can leave DEST missing, and the staged tree was complete by then.
            if (journal.Replacing)
            {
                UnixFileSystem.Rename(journal.Staging, layout.Destination);
            }
            else
            {
                StagingDirectory.Discard(layout, journal.Staging);
            }
        }
        else if (current.Value.Inode == journal.NewInode)
        {
            // The exchange happened: the staging path now holds the old tree, which is kept for rollback.
            DropPrevious(layout);
            UnixFileSystem.Rename(journal.Staging, layout.Previous);
        }
        else
        {
            // Restored first: once the staging tree is gone, nothing tells that the dropped tree must come back.
            RestorePrevious(layout);
            StagingDirectory.Discard(layout, journal.Staging);
        }
    }

    /// <summary>The older kept tree goes to the trash in one rename, and is deleted only once the switch is done.</summary>
    private static void DropPrevious(DeployLayout layout)
    {
        if (Exists(layout.Previous))
        {
            UnixFileSystem.Rename(layout.Previous, layout.NewTrashPath());
        }
    }

    /// <summary>A switch that never happened must not cost the tree that rollback would bring back.</summary>
    private static void RestorePrevious(DeployLayout layout)
    {
        var trash = Directory.GetDirectories(layout.StateDirectory, "trash-*");
        if (!Exists(layout.Previous) && trash.Length == 1)
        {
            UnixFileSystem.Rename(trash[0], layout.Previous);
        }
    }

    private static SwitchJournal LoadJournal(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), SwitchJournalJsonContext.Default.SwitchJournal)
                ?? throw new InvalidDataException("empty");
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            throw new EnvshipException(
                ExitCode.IoFailure,
                $"{path}: the journal of an interrupted deploy is damaged ({ex.Message}). Check which tree is at the destination with 'envship verify', then delete this file and retry.",
                ex);
        }
    }

    private static void RemoveTrash(DeployLayout layout)
    {
        if (!Directory.Exists(layout.StateDirectory))
        {
            return;
        }

        foreach (var trash in Directory.EnumerateDirectories(layout.StateDirectory, "trash-*"))
        {
            StagingDirectory.Remove(trash);
        }
    }

    private static bool Exists(string path) => UnixFileSystem.TryStat(path) is not null;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SwitchJournal))]
internal sealed partial class SwitchJournalJsonContext : JsonSerializerContext;
