using System.Text.Json.Nodes;

namespace Envship.Testing;

/// <summary>The fields of a package's <c>info/index.json</c> that a conda-meta record repeats.</summary>
internal sealed record PackageIndex(
    string Name,
    string Version,
    string Build,
    long BuildNumber,
    string Subdir,
    IReadOnlyList<string> Depends,
    IReadOnlyList<string> Constrains,
    string? License,
    string? LicenseFamily,
    long Timestamp,
    string? Noarch)
{
    public string DistName => $"{Name}-{Version}-{Build}";
}

/// <summary>One entry of <c>info/paths.json</c> (or its reconstruction from <c>info/files</c> + <c>info/has_prefix</c>).</summary>
internal sealed record PackagePath(
    string RelativePath,
    string PathType,
    string Sha256,
    long SizeInBytes,
    string? PrefixPlaceholder,
    PlaceholderMode? FileMode);

/// <summary>Reads the <c>info/</c> metadata of an extracted package.</summary>
internal static class PackageMetadata
{
    public const string DefaultPlaceholder = "/opt/anaconda1anaconda2anaconda3";

    public static PackageIndex ReadIndex(string extractedDirectory)
    {
        var json = ReadJson(Path.Combine(extractedDirectory, "info", "index.json"));
        return new PackageIndex(
            Name: RequiredString(json, "name"),
            Version: RequiredString(json, "version"),
            Build: RequiredString(json, "build"),
            BuildNumber: json["build_number"]?.GetValue<long>() ?? 0,
            Subdir: json["subdir"]?.GetValue<string>() ?? "noarch",
            Depends: StringList(json["depends"]),
            Constrains: StringList(json["constrains"]),
            License: json["license"]?.GetValue<string>(),
            LicenseFamily: json["license_family"]?.GetValue<string>(),
            Timestamp: json["timestamp"]?.GetValue<long>() ?? 0,
            Noarch: NoarchKind(json["noarch"]));
    }

    public static IReadOnlyList<PackagePath> ReadPaths(string extractedDirectory)
    {
        var pathsJson = Path.Combine(extractedDirectory, "info", "paths.json");
        return File.Exists(pathsJson) ? FromPathsJson(pathsJson) : FromLegacyFiles(extractedDirectory);
    }

    private static List<PackagePath> FromPathsJson(string pathsJson)
    {
        var json = ReadJson(pathsJson);
        var entries = json["paths"]?.AsArray() ?? throw new InvalidDataException($"{pathsJson} has no 'paths' array.");
        var result = new List<PackagePath>();
        foreach (var node in entries)
        {
            var entry = node!.AsObject();
            var mode = entry["file_mode"]?.GetValue<string>();
            result.Add(new PackagePath(
                RelativePath: RequiredString(entry, "_path"),
                PathType: entry["path_type"]?.GetValue<string>() ?? "hardlink",
                Sha256: entry["sha256"]?.GetValue<string>() ?? "",
                SizeInBytes: entry["size_in_bytes"]?.GetValue<long>() ?? 0,
                PrefixPlaceholder: entry["prefix_placeholder"]?.GetValue<string>(),
                FileMode: mode is null ? null : ParseMode(mode)));
        }

        return result;
    }

    // Packages built before paths.json existed list their payload in info/files and the
    // placeholder-carrying files in info/has_prefix; digests then come from the files themselves.
    private static List<PackagePath> FromLegacyFiles(string extractedDirectory)
    {
        var placeholders = ReadHasPrefix(Path.Combine(extractedDirectory, "info", "has_prefix"));
        var filesList = Path.Combine(extractedDirectory, "info", "files");
        var result = new List<PackagePath>();
        foreach (var line in File.ReadAllLines(filesList))
        {
            var relative = line.Trim();
            if (relative.Length == 0)
                continue;
            var full = Path.Combine(extractedDirectory, relative);
            var isLink = FileOps.IsSymlink(full);
            var content = FileOps.ContentPath(full);
            var hasPlaceholder = placeholders.TryGetValue(relative, out var placeholder);
            result.Add(new PackagePath(
                RelativePath: relative,
                PathType: isLink ? "softlink" : "hardlink",
                Sha256: content is null ? "" : FileOps.Sha256Hex(content),
                SizeInBytes: content is null ? 0 : new FileInfo(content).Length,
                PrefixPlaceholder: hasPlaceholder ? placeholder.Placeholder : null,
                FileMode: hasPlaceholder ? placeholder.Mode : null));
        }

        return result;
    }

    private static Dictionary<string, (string Placeholder, PlaceholderMode Mode)> ReadHasPrefix(string hasPrefix)
    {
        var result = new Dictionary<string, (string, PlaceholderMode)>(StringComparer.Ordinal);
        if (!File.Exists(hasPrefix))
            return result;
        foreach (var line in File.ReadAllLines(hasPrefix))
        {
            var fields = SplitQuoted(line);
            switch (fields.Count)
            {
                case 0:
                    break;
                case 1:
                    result[fields[0]] = (DefaultPlaceholder, PlaceholderMode.Text);
                    break;
                case 3:
                    result[fields[2]] = (fields[0], ParseMode(fields[1]));
                    break;
                default:
                    throw new InvalidDataException($"Unexpected has_prefix line in {hasPrefix}: '{line}'");
            }
        }

        return result;
    }

    private static List<string> SplitQuoted(string line)
    {
        var fields = new List<string>();
        var i = 0;
        while (i < line.Length)
        {
            if (char.IsWhiteSpace(line[i]))
            {
                i++;
                continue;
            }

            if (line[i] == '"')
            {
                var close = line.IndexOf('"', i + 1);
                if (close < 0)
                    close = line.Length;
                fields.Add(line[(i + 1)..close]);
                i = close + 1;
                continue;
            }

            var start = i;
            while (i < line.Length && !char.IsWhiteSpace(line[i]))
                i++;
            fields.Add(line[start..i]);
        }

        return fields;
    }

    private static PlaceholderMode ParseMode(string mode) => mode switch
    {
        "text" => PlaceholderMode.Text,
        "binary" => PlaceholderMode.Binary,
        _ => throw new InvalidDataException($"Unknown file_mode '{mode}'."),
    };

    private static string? NoarchKind(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var kind) => kind,
        JsonValue value when value.TryGetValue<bool>(out var flag) => flag ? "generic" : null,
        _ => null,
    };

    private static JsonObject ReadJson(string path) =>
        JsonNode.Parse(File.ReadAllText(path))?.AsObject()
        ?? throw new InvalidDataException($"{path} does not hold a JSON object.");

    private static string RequiredString(JsonObject json, string key) =>
        json[key]?.GetValue<string>() ?? throw new InvalidDataException($"Missing '{key}' in package metadata.");

    private static List<string> StringList(JsonNode? node) =>
        node is JsonArray array ? array.Select(item => item!.GetValue<string>()).ToList() : [];
}
