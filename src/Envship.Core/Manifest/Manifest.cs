using Envship.Core.Archive;
using Envship.Core.Conda;
using Envship.Core.Pack;

namespace Envship.Core.Manifests;

/// <summary>
/// The first entry of every archive: what is inside, where it came from, and how to relocate it.
/// Everything a deploy decides (platform, room for binary strings, hashes) is decided from this alone.
/// </summary>
public sealed record Manifest
{
    public const int CurrentFormatVersion = 1;
    public const string EntryName = ".envship/manifest.json";

    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public required string EnvshipVersion { get; init; }

    /// <summary>The absolute prefix that the archived bytes name, after any <c>--dest-prefix</c>.</summary>
    public required string SourcePrefix { get; init; }

    /// <summary>Where the environment was packed from, when <c>--dest-prefix</c> relocated it at pack time.</summary>
    public string? PackedFromPrefix { get; init; }

    /// <summary>A directory every archive member sits under (conda-pack's <c>--arcroot</c>); empty for none.</summary>
    public string ArchiveRoot { get; init; } = "";

    public required ManifestPlatform Platform { get; init; }
    public required DateTimeOffset Created { get; init; }
    public bool WholeInstallation { get; init; }
    public required ManifestRoot Root { get; init; }
    public required IReadOnlyList<ManifestEnvironment> Environments { get; init; }
    public required ManifestSummary Summary { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The highest <c>GLIBC_x.y</c> symbol version any ELF file needs ("2.34"); null when none does.</summary>
    public string? GlibcFloor { get; init; }

    /// <summary>A file that needs <see cref="GlibcFloor"/>, named when a host's glibc is too old.</summary>
    public string? GlibcFloorFile { get; init; }

    /// <summary>
    /// Every ELF file that needs a <c>GLIBC_x.y</c> symbol version, with the highest it needs, in archive order,
    /// so a deploy with <c>--ignore-glibc</c> can name each file that will not load. Null in archives packed before it was recorded.
    /// </summary>
    public IReadOnlyList<ManifestGlibcNeed>? GlibcNeeds { get; init; }

    /// <summary>The <c>.envship/</c> members written right after the manifest (embedded exports), with their hashes.</summary>
    public IReadOnlyList<ManifestMetadataFile> Metadata { get; init; } = [];
    public required IReadOnlyList<ManifestEntry> Entries { get; init; }
}

public sealed record ManifestMetadataFile(string Path, long Size, string Sha256);

/// <summary>One ELF file and the highest glibc symbol version it needs ("2.34").</summary>
public sealed record ManifestGlibcNeed(string Path, string Glibc);

public sealed record ManifestPlatform(string Subdir, string Os, string Arch);

/// <summary>Mode and mtime of the prefix directory itself, which has no archive member of its own.</summary>
public sealed record ManifestRoot(int Mode, long MtimeNs);

public sealed record ManifestEnvironment
{
    /// <summary>Relative to the prefix: empty for the base or a standalone environment, <c>envs/NAME</c> otherwise.</summary>
    public required string Path { get; init; }
    public required string Name { get; init; }
    public string? PythonVersion { get; init; }
    public IReadOnlyList<ManifestCondaPackage> CondaPackages { get; init; } = [];
    public IReadOnlyList<ManifestPipDistribution> PipDistributions { get; init; } = [];

    /// <summary>What the packages need of the NVIDIA driver; null when none mentions CUDA, and in archives packed before it was recorded.</summary>
    public CudaRequirement? Cuda { get; init; }
}

/// <param name="Size">Bytes of the package's files in the archive, when conda-meta lists them.</param>
public sealed record ManifestCondaPackage(string Name, string Version, string Build, string Channel, string Subdir, long? Size = null);

public sealed record ManifestPipDistribution(string Name, string Version, string? Installer);

public enum EntryType
{
    File,
    Directory,
    Symlink,
    Hardlink,
}

public sealed record ManifestEntry
{
    // The hash as 32 bytes when it has the canonical form, which every pack writes; any other text
    // (a damaged or hostile manifest) is kept as it is, for the validator to name.
    private readonly Sha256Digest? _sha256;
    private readonly string? _sha256Text;

    public required string Path { get; init; }
    public required EntryType Type { get; init; }

    /// <summary>Permission bits including setuid, setgid and sticky, as <c>stat</c> reports them.</summary>
    public required int Mode { get; init; }
    public required long MtimeNs { get; init; }
    public long Size { get; init; }

    /// <summary>64 lowercase hex digits for a file; built anew on each read.</summary>
    public string? Sha256
    {
        get => _sha256Text ?? _sha256?.ToString();
        init
        {
            if (Sha256Digest.TryParseLowerHex(value, out var digest))
            {
                _sha256 = digest;
                _sha256Text = null;
            }
            else
            {
                _sha256 = null;
                _sha256Text = value;
            }
        }
    }

    /// <summary>The link text of a symlink, or the archive path of the file a hard link shares data with.</summary>
    public string? Target { get; init; }
    public FileRelocation? Relocation { get; init; }

    /// <summary>The hash as bytes, when it has the canonical form (every validated file entry has).</summary>
    internal Sha256Digest? Digest
    {
        get => _sha256;
        init
        {
            _sha256 = value;
            _sha256Text = null;
        }
    }
}

public enum RelocationKind
{
    /// <summary>Replace every occurrence; the length may change.</summary>
    Text,

    /// <summary>Rewrite the first line as an interpreter line, then treat the rest as text.</summary>
    Shebang,

    /// <summary>Replace inside NUL-terminated strings at fixed offsets, keeping every offset.</summary>
    Binary,

    /// <summary>Compiled Python: never patched, Python fixes <c>co_filename</c> itself.</summary>
    Pyc,

    /// <summary>Inside a zip-based file, which cannot be patched in place.</summary>
    Zip,
}

public enum SegmentKind
{
    CString,
    ElfRunpath,
}

public sealed record FileRelocation
{
    public required RelocationKind Kind { get; init; }
    public int Occurrences { get; init; }
    public IReadOnlyList<BinarySegment>? Segments { get; init; }
}

/// <summary>
/// One NUL-terminated string that names the prefix. <see cref="Length"/> is the room: the string,
/// its terminator and the NUL padding that may be used. <see cref="StringLength"/> counts from
/// <see cref="Offset"/> to the terminator, so a deploy can tell whether a destination fits before writing.
/// </summary>
public sealed record BinarySegment
{
    public required long Offset { get; init; }
    public required int Length { get; init; }
    public required int StringLength { get; init; }
    public required int Occurrences { get; init; }
    public SegmentKind Kind { get; init; } = SegmentKind.CString;

    /// <summary>
    /// For ELF run paths: the whole DT_RUNPATH/DT_RPATH value, needed to build an <c>$ORIGIN</c> form.
    /// For a string with <see cref="SharedTails"/>: the string, so warnings can name it before anything is written.
    /// </summary>
    public string? Value { get; init; }

    /// <summary>
    /// References into the string past its first byte: another constant the linker stored as this string's
    /// tail. Null when none was found (and in manifests written before envship looked for them).
    /// </summary>
    public IReadOnlyList<SharedTail>? SharedTails { get; init; }
}

/// <summary>A constant that is the tail of a relocated string: the file offset it starts at and its text.</summary>
public sealed record SharedTail
{
    public required long Offset { get; init; }
    public required string Text { get; init; }

    /// <summary>How messages name a tail: quoted, or as the empty string a reference to the terminator reads.</summary>
    public static string Describe(IEnumerable<SharedTail> tails) =>
        string.Join(", ", tails.Select(t => t.Text.Length == 0 ? "'' (its terminating NUL)" : $"'{t.Text}'").Distinct(StringComparer.Ordinal));
}

public sealed record ManifestSummary
{
    public int Files { get; init; }
    public int Directories { get; init; }
    public int Symlinks { get; init; }
    public int Hardlinks { get; init; }
    public long TotalBytes { get; init; }
    public IReadOnlyDictionary<string, int> Relocations { get; init; } = new Dictionary<string, int>();
}
