using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Envship.Testing;

/// <summary>One <c>paths_data.paths</c> entry of a conda-meta record.</summary>
public sealed record CondaPathEntry(string Path, string PathType)
{
    public string? Sha256 { get; init; }
    public string? Sha256InPrefix { get; init; }
    public long? SizeInBytes { get; init; }
    public string? PrefixPlaceholder { get; init; }

    /// <summary><c>text</c> or <c>binary</c> when <see cref="PrefixPlaceholder"/> is set.</summary>
    public string? FileMode { get; init; }
}

/// <summary>A <c>conda-meta/&lt;name&gt;-&lt;version&gt;-&lt;build&gt;.json</c> record, shaped like those conda 25 writes.</summary>
public sealed record CondaMetaRecord
{
    public const string DefaultChannelBase = "https://conda.anaconda.org/conda-forge";

    public required string Name { get; init; }
    public required string Version { get; init; }
    public required string Build { get; init; }
    public long BuildNumber { get; init; }
    public required string Subdir { get; init; }
    public string ChannelBase { get; init; } = DefaultChannelBase;
    public required string Fn { get; init; }
    public required string Md5 { get; init; }
    public required string Sha256 { get; init; }
    public long Size { get; init; }
    public IReadOnlyList<string> Depends { get; init; } = [];
    public IReadOnlyList<string> Constrains { get; init; } = [];
    public string? License { get; init; }
    public string? LicenseFamily { get; init; }
    public long Timestamp { get; init; }
    public required IReadOnlyList<string> Files { get; init; }
    public required IReadOnlyList<CondaPathEntry> Paths { get; init; }
    public required string ExtractedPackageDir { get; init; }
    public required string PackageTarballFullPath { get; init; }
    public string RequestedSpec { get; init; } = "None";
    public string? Noarch { get; init; }
    public string? PythonSitePackagesPath { get; init; }

    /// <summary><c>https://conda.anaconda.org/conda-forge/linux-64</c>: conda records name the channel with its subdir.</summary>
    public string Channel => $"{ChannelBase}/{Subdir}";

    public string Url => $"{Channel}/{Fn}";

    public string DistName => $"{Name}-{Version}-{Build}";

    public string RecordFileName => DistName + ".json";

    /// <summary>
    /// A record of a package that installed no files, only its metadata (as for <c>cuda-version</c> and other
    /// metapackages): what tests about dependency metadata need, with placeholder digests.
    /// </summary>
    public static CondaMetaRecord MetadataOnly(
        string name, string version, string build, string subdir, IReadOnlyList<string>? depends = null, IReadOnlyList<string>? constrains = null) => new()
    {
        Name = name,
        Version = version,
        Build = build,
        Subdir = subdir,
        Fn = $"{name}-{version}-{build}.conda",
        Md5 = new string('0', 32),
        Sha256 = new string('0', 64),
        Depends = depends ?? [],
        Constrains = constrains ?? [],
        Files = [],
        Paths = [],
        ExtractedPackageDir = $"/opt/conda/pkgs/{name}-{version}-{build}",
        PackageTarballFullPath = $"/opt/conda/pkgs/{name}-{version}-{build}.conda",
    };
}

/// <summary>Serializes <see cref="CondaMetaRecord"/> the way conda does: sorted keys, two-space indent.</summary>
public static class CondaMetaWriter
{
    private static readonly JsonWriterOptions _options = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NewLine = "\n",
    };

    /// <summary>Writes <c>prefix/conda-meta/&lt;dist&gt;.json</c> and returns its path.</summary>
    public static string Write(string prefix, CondaMetaRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var directory = Path.Combine(prefix, "conda-meta");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, record.RecordFileName);
        WriteJsonFile(path, ToJson(record));
        return path;
    }

    /// <summary>Writes any JSON object with sorted keys, two-space indent and no trailing newline.</summary>
    public static void WriteJsonFile(string path, JsonObject json)
    {
        using var stream = File.Create(path);
        WriteJson(stream, json);
    }

    /// <summary>Writes <paramref name="json"/> to <paramref name="stream"/> in conda's layout.</summary>
    public static void WriteJson(Stream stream, JsonObject json)
    {
        using var writer = new Utf8JsonWriter(stream, _options);
        WriteSorted(writer, json);
    }

    /// <summary>The record as a JSON object (key order is applied when writing).</summary>
    public static JsonObject ToJson(CondaMetaRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var json = new JsonObject
        {
            ["build"] = record.Build,
            ["build_number"] = record.BuildNumber,
            ["channel"] = record.Channel,
            ["constrains"] = Strings(record.Constrains),
            ["depends"] = Strings(record.Depends),
            ["extracted_package_dir"] = record.ExtractedPackageDir,
            ["features"] = "",
            ["files"] = Strings(record.Files),
            ["fn"] = record.Fn,
            ["link"] = new JsonObject { ["source"] = record.ExtractedPackageDir, ["type"] = 1 },
            ["md5"] = record.Md5,
            ["name"] = record.Name,
            ["package_tarball_full_path"] = record.PackageTarballFullPath,
            ["paths_data"] = new JsonObject
            {
                ["paths"] = new JsonArray(record.Paths.Select(PathJson).ToArray<JsonNode?>()),
                ["paths_version"] = 1,
            },
            ["requested_spec"] = record.RequestedSpec,
            ["sha256"] = record.Sha256,
            ["size"] = record.Size,
            ["subdir"] = record.Subdir,
            ["timestamp"] = record.Timestamp,
            ["track_features"] = "",
            ["url"] = record.Url,
            ["version"] = record.Version,
        };
        if (record.License is not null)
            json["license"] = record.License;
        if (record.LicenseFamily is not null)
            json["license_family"] = record.LicenseFamily;
        if (record.Noarch is not null)
        {
            json["noarch"] = record.Noarch;
            json["package_type"] = "noarch_" + record.Noarch;
        }

        if (record.PythonSitePackagesPath is not null)
            json["python_site_packages_path"] = record.PythonSitePackagesPath;
        return json;
    }

    private static JsonObject PathJson(CondaPathEntry entry)
    {
        var json = new JsonObject { ["_path"] = entry.Path, ["path_type"] = entry.PathType };
        if (entry.PrefixPlaceholder is not null)
        {
            json["prefix_placeholder"] = entry.PrefixPlaceholder;
            json["file_mode"] = entry.FileMode ?? "text";
        }

        if (entry.Sha256 is not null)
            json["sha256"] = entry.Sha256;
        if (entry.Sha256InPrefix is not null)
            json["sha256_in_prefix"] = entry.Sha256InPrefix;
        if (entry.SizeInBytes is not null)
            json["size_in_bytes"] = entry.SizeInBytes;
        return json;
    }

    private static JsonArray Strings(IEnumerable<string> values) =>
        new(values.Select(value => (JsonNode?)JsonValue.Create(value)).ToArray());

    private static void WriteSorted(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (key, value) in obj.OrderBy(pair => pair.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    WriteSorted(writer, value);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                    WriteSorted(writer, item);
                writer.WriteEndArray();
                break;
            case null:
                writer.WriteNullValue();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}
