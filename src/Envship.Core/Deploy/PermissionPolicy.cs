using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Deploy;

/// <summary>The final mode and group of one deployed entry. <see cref="GroupId"/> is -1 to leave the group as created.</summary>
public readonly record struct EntryPermissions(int Mode, int GroupId);

/// <summary>
/// Decides, from an archive entry alone, the mode and group it gets on disk, so owner, group and mode are set
/// as each entry is created rather than in a second pass. Setuid, setgid and sticky bits and write access for
/// others are dropped unless preserved; <see cref="Shared"/> adds group read (and execute where the owner has it) everywhere,
/// and group write plus setgid on the shared <c>envs/</c> and <c>pkgs/</c> directories.
/// </summary>
public sealed record PermissionPolicy
{
    public const int SetUserId = 0x800;
    public const int SetGroupId = 0x400;
    public const int Sticky = 0x200;
    public const int OtherWrite = 0x2;

    /// <summary>What the packer chooses only with <c>--preserve-special-bits</c>: raised rights, and files anyone may change.</summary>
    public const int SpecialBits = SetUserId | SetGroupId | Sticky | OtherWrite;
    public const int NoGroup = -1;
    private const int GroupRead = 0x20;
    private const int GroupWrite = 0x10;
    private const int GroupExecute = 0x8;
    private const int OwnerExecute = 0x40;

    /// <summary>The directories where group members create environments and download packages.</summary>
    public static IReadOnlyList<string> GroupWritableDirectories { get; } = ["envs", "pkgs"];

    /// <summary>What an unchanged deploy does: archive modes, minus setuid, setgid, sticky and <c>o+w</c>.</summary>
    public static PermissionPolicy Default { get; } = new();

    /// <summary>The group every entry gets, or <see cref="NoGroup"/> for the deploying user's.</summary>
    public int GroupId { get; init; } = NoGroup;
    public bool Shared { get; init; }
    public bool PreserveSpecialBits { get; init; }

    public bool ChangesGroup => GroupId != NoGroup;

    public EntryPermissions Decide(ManifestEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new EntryPermissions(DecideMode(entry.Path, entry.Type, entry.Mode), GroupId);
    }

    /// <summary>The prefix directory itself, which has no entry of its own.</summary>
    public EntryPermissions DecideRoot(int archiveMode) => new(DecideMode("", EntryType.Directory, archiveMode), GroupId);

    /// <summary>The manifest with every mode as deployed, so a receipt made from it lets <c>verify</c> see no drift.</summary>
    public Manifest Apply(Manifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest with
        {
            Root = manifest.Root with { Mode = DecideRoot(manifest.Root.Mode).Mode },
            // Mapped as read rather than copied: the receipt streams these once, and a copy would double the entries in memory.
            Entries = new MappedEntries(manifest.Entries, e => e.Type is EntryType.Symlink ? e : e with { Mode = DecideMode(e.Path, e.Type, e.Mode) }),
        };
    }

    private int DecideMode(string path, EntryType type, int archiveMode)
    {
        var mode = archiveMode & 0xFFF;
        if (!PreserveSpecialBits)
        {
            mode &= ~SpecialBits;
        }

        if (!Shared || type is EntryType.Symlink)
        {
            return mode;
        }

        if (type is EntryType.Directory)
        {
            mode |= GroupRead | GroupExecute;
            if (GroupWritableDirectories.Contains(path, StringComparer.Ordinal))
            {
                mode |= GroupWrite | SetGroupId;
            }

            return mode;
        }

        mode |= GroupRead;
        return (mode & OwnerExecute) != 0 ? mode | GroupExecute : mode;
    }
}

/// <summary>A read-only view of entries that maps each one when it is read.</summary>
internal sealed class MappedEntries(IReadOnlyList<ManifestEntry> source, Func<ManifestEntry, ManifestEntry> map) : IReadOnlyList<ManifestEntry>
{
    public int Count => source.Count;

    public ManifestEntry this[int index] => map(source[index]);

    public IEnumerator<ManifestEntry> GetEnumerator()
    {
        foreach (var entry in source)
        {
            yield return map(entry);
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
