using Envship.Core.Archive;
using Envship.Core.Manifests;

namespace Envship.Core.Pack;

/// <summary>What to pack and how; the flags mean what conda-pack's flags of the same name mean.</summary>
public sealed record PackOptions
{
    /// <summary>An absolute, resolved prefix (see <see cref="Conda.PrefixResolver"/>).</summary>
    public required string Prefix { get; init; }
    public string? Output { get; init; }
    public ArchiveFormat Format { get; init; } = ArchiveFormat.TarZst;
    public int? CompressionLevel { get; init; }
    public int Jobs { get; init; } = Environment.ProcessorCount;
    public IReadOnlyList<string> Excludes { get; init; } = [];
    public IReadOnlyList<string> Includes { get; init; } = [];
    public bool KeepPackageCache { get; init; }
    public string ArchiveRoot { get; init; } = "";
    public string? DestinationPrefix { get; init; }
    public bool IgnoreEditablePackages { get; init; }
    public bool IgnoreMissingFiles { get; init; }
    public bool Force { get; init; }

    /// <summary>The manifest's creation time; when null, the newest mtime in the environment, so packs are reproducible.</summary>
    public DateTimeOffset? Created { get; init; }
    public IProgress<PackProgress>? Progress { get; init; }
}

public enum PackPhase
{
    Scanning,
    Writing,
}

public readonly record struct PackProgress(PackPhase Phase, int FilesDone, int FilesTotal, long BytesDone, long BytesTotal);

/// <param name="Manifest">
/// The archive's manifest. A tar.zst or tar.gz pack streams the entries into the archive instead of
/// keeping them, so its <see cref="Manifest.Entries"/> is empty; <see cref="ArchiveReader"/> reads them back.
/// </param>
public sealed record PackResult(string OutputPath, Manifest Manifest, long ArchiveBytes, IReadOnlyList<string> Warnings);
