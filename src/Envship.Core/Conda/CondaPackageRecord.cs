using System.Text.Json;

namespace Envship.Core.Conda;

/// <summary>
/// A package record from <c>PREFIX/conda-meta/NAME-VERSION-BUILD.json</c>, as written by conda or mamba.
/// Fields the record does not carry are empty (strings and lists) or null (everything else).
/// </summary>
public sealed record CondaPackageRecord
{
    private static readonly byte[] _utf8Bom = [0xEF, 0xBB, 0xBF];

    public required string Name { get; init; }
    public required string Version { get; init; }
    public required string Build { get; init; }
    public int? BuildNumber { get; init; }

    /// <summary>As written: a channel name (<c>conda-forge</c>) or a full URL including the subdir.</summary>
    public string? Channel { get; init; }

    public string? Subdir { get; init; }
    public string? Url { get; init; }
    public string? Md5 { get; init; }
    public string? Sha256 { get; init; }
    public long? Size { get; init; }
    public IReadOnlyList<string> Depends { get; init; } = [];

    /// <summary>Match specs that bind only when the named package is present too (conda's <c>run_constrained</c>).</summary>
    public IReadOnlyList<string> Constrains { get; init; } = [];
    public string? License { get; init; }

    /// <summary>Build time as written by conda (milliseconds since the Unix epoch in current records).</summary>
    public long? Timestamp { get; init; }

    public string? Fn { get; init; }
    public string? RequestedSpec { get; init; }

    /// <summary>Files relative to the prefix, forward-slash separated.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    public IReadOnlyList<CondaPathEntry> PathsData { get; init; } = [];
    public string? ExtractedPackageDir { get; init; }
    public string? PackageTarballFullPath { get; init; }

    /// <summary>The <c>link.source</c> value: the extracted package the files were linked from.</summary>
    public string? LinkSource { get; init; }

    /// <summary>The <c>link.type</c> value (conda: 1 hard link, 2 soft link, 3 copy, 4 directory).</summary>
    public int? LinkType { get; init; }

    /// <summary>
    /// The channel's short name: for a URL such as <c>https://conda.anaconda.org/conda-forge/osx-arm64</c>
    /// the path without the subdir (<c>conda-forge</c>); otherwise <see cref="Channel"/> itself.
    /// </summary>
    public string? ChannelName => CondaChannel.ShortName(Channel);

    /// <summary>Parses one conda-meta record. Throws <see cref="JsonException"/> when the JSON is malformed.</summary>
    public static CondaPackageRecord Parse(ReadOnlySpan<byte> json)
    {
        if (json.StartsWith(_utf8Bom))
        {
            json = json[_utf8Bom.Length..];
        }

        var dto = JsonSerializer.Deserialize(json, CondaJsonContext.Default.CondaRecordDto)
            ?? throw new JsonException("The conda-meta record is 'null' instead of a JSON object.");
        return FromDto(dto);
    }

    private static CondaPackageRecord FromDto(CondaRecordDto dto) => new()
    {
        Name = dto.Name ?? string.Empty,
        Version = dto.Version ?? string.Empty,
        Build = dto.Build ?? string.Empty,
        BuildNumber = ToInt32(dto.BuildNumber),
        Channel = dto.Channel,
        Subdir = dto.Subdir,
        Url = dto.Url,
        Md5 = dto.Md5,
        Sha256 = dto.Sha256,
        Size = dto.Size,
        Depends = WithoutNulls(dto.Depends),
        Constrains = WithoutNulls(dto.Constrains),
        License = dto.License,
        Timestamp = dto.Timestamp,
        Fn = dto.Fn,
        RequestedSpec = dto.RequestedSpec,
        Files = WithoutNulls(dto.Files),
        PathsData = ToEntries(dto.PathsData?.Paths),
        ExtractedPackageDir = dto.ExtractedPackageDir,
        PackageTarballFullPath = dto.PackageTarballFullPath,
        LinkSource = dto.Link?.Source,
        LinkType = ToInt32(dto.Link?.Type),
    };

    private static int? ToInt32(long? value) =>
        value is { } v && v is >= int.MinValue and <= int.MaxValue ? (int)v : null;

    private static string[] WithoutNulls(List<string>? values) =>
        values is null ? [] : values.Where(v => v is not null).ToArray();

    private static CondaPathEntry[] ToEntries(List<CondaPathDto>? paths)
    {
        if (paths is null)
        {
            return [];
        }

        var entries = new List<CondaPathEntry>(paths.Count);
        foreach (var p in paths)
        {
            if (p?.Path is null)
            {
                continue;
            }

            entries.Add(new CondaPathEntry(
                p.Path, p.PathType ?? string.Empty, p.PrefixPlaceholder, p.FileMode, p.Sha256, p.Sha256InPrefix, p.SizeInBytes));
        }

        return entries.ToArray();
    }
}
