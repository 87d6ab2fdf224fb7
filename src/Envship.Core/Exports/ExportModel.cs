namespace Envship.Core.Exports;

/// <summary>
/// Everything the exporters need about one environment, from a live prefix or from the copy embedded
/// in an archive at pack time; it serializes as <c>.envship/exports/NAME/records.json</c>.
/// </summary>
public sealed record ExportEnvironment
{
    public required string Name { get; init; }

    /// <summary>The absolute prefix the environment lives at (the archive's source prefix for an archive).</summary>
    public required string Prefix { get; init; }

    /// <summary>The conda subdir of the platform, such as <c>linux-64</c>.</summary>
    public required string Subdir { get; init; }

    /// <summary>The time the exports describe: the manifest's creation time, or the newest conda-meta change.</summary>
    public required DateTimeOffset Created { get; init; }

    public IReadOnlyList<ExportPackage> Packages { get; init; } = [];
    public IReadOnlyList<ExportPipDistribution> PipDistributions { get; init; } = [];

    /// <summary>The specs the user asked for, in conda-meta/history order, as <c>conda env export --from-history</c> lists them.</summary>
    public IReadOnlyList<string> RequestedSpecs { get; init; } = [];
}

/// <summary>The fields of a conda-meta record that the exports use.</summary>
public sealed record ExportPackage
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public required string Build { get; init; }

    /// <summary>The channel's short name (<c>conda-forge</c>), or a URL for channels that have no short name.</summary>
    public string Channel { get; init; } = "";
    public string Subdir { get; init; } = "";
    public string? Url { get; init; }
    public string? FileName { get; init; }
    public string? Md5 { get; init; }
    public string? Sha256 { get; init; }
    public string? License { get; init; }
    public IReadOnlyList<string> Depends { get; init; } = [];

    /// <summary>Bytes of the package's files in the prefix.</summary>
    public long? InstalledSize { get; init; }
}

/// <summary>A Python distribution that conda does not manage (installed by pip, uv or an unknown installer).</summary>
public sealed record ExportPipDistribution(string Name, string Version, string? Installer);
