namespace Envship.Core.Relocation;

/// <summary>Which dynamic tag a search path came from.</summary>
public enum ElfRunpathTag
{
    /// <summary>DT_RPATH (15): searched before LD_LIBRARY_PATH.</summary>
    RPath,

    /// <summary>DT_RUNPATH (29): searched after LD_LIBRARY_PATH.</summary>
    RunPath,
}

/// <summary>A DT_RPATH or DT_RUNPATH string located in the file.</summary>
/// <param name="Tag">The dynamic tag that references the string.</param>
/// <param name="FileOffset">File offset of the string's first byte.</param>
/// <param name="Value">The string, decoded as UTF-8.</param>
/// <param name="RegionLength">
/// Bytes that may be overwritten in place: the string, its NUL, and the following NUL padding up to
/// the first byte another dynamic-string reference points at.
/// </param>
public sealed record ElfRunpathEntry(ElfRunpathTag Tag, long FileOffset, string Value, int RegionLength);

/// <summary>The parts of an ELF dynamic section that relocation cares about.</summary>
public sealed class ElfDynamicInfo
{
    public ElfDynamicInfo(
        bool is64Bit,
        ushort machine,
        IReadOnlyList<ElfRunpathEntry> runpaths,
        IReadOnlyList<string> needed,
        IReadOnlyList<long> otherStringOffsets)
    {
        ArgumentNullException.ThrowIfNull(runpaths);
        ArgumentNullException.ThrowIfNull(needed);
        ArgumentNullException.ThrowIfNull(otherStringOffsets);
        Is64Bit = is64Bit;
        Machine = machine;
        Runpaths = runpaths;
        Needed = needed;
        OtherStringOffsets = otherStringOffsets;
    }

    public bool Is64Bit { get; }

    /// <summary>e_machine, e.g. 62 for x86-64 or 183 for AArch64.</summary>
    public ushort Machine { get; }

    public IReadOnlyList<ElfRunpathEntry> Runpaths { get; }

    /// <summary>DT_NEEDED values in dynamic-section order.</summary>
    public IReadOnlyList<string> Needed { get; }

    /// <summary>
    /// File offsets of every other string the dynamic section references (NEEDED, SONAME, AUDIT, ...),
    /// so a caller can tell whether one of them shares the bytes of a runpath string.
    /// </summary>
    public IReadOnlyList<long> OtherStringOffsets { get; }
}
