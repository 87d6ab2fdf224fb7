using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using ZstdSharp;

namespace Envship.Testing;

/// <summary>What <see cref="CondaPackageWriter"/> puts into <c>info/index.json</c>.</summary>
public sealed record CondaPackageSpec(string Name, string Version, string Build)
{
    public long BuildNumber { get; init; }
    public string Subdir { get; init; } = "linux-64";

    /// <summary>The CPU index.json names for a platform package (conda's <c>arch</c>); ignored for noarch.</summary>
    public string Arch { get; init; } = "x86_64";
    public IReadOnlyList<string> Depends { get; init; } = [];
    public string? License { get; init; }

    /// <summary><c>generic</c> or <c>python</c> for noarch packages.</summary>
    public string? Noarch { get; init; }

    public long Timestamp { get; init; } = 1767225600000;

    /// <summary>
    /// The build prefix the payload embeds. Files containing it get <c>prefix_placeholder</c> in
    /// paths.json, in <c>binary</c> mode if they hold a NUL byte, else <c>text</c> (conda-build's rule).
    /// </summary>
    public string? Placeholder { get; init; }

    public string DistName => $"{Name}-{Version}-{Build}";
}

/// <summary>Packs a staged payload directory into a v2 <c>.conda</c> file, like conda-build would.</summary>
public static class CondaPackageWriter
{
    private static readonly DateTimeOffset _entryTime = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Writes <c>outputDirectory/&lt;dist&gt;.conda</c> from <paramref name="payloadDirectory"/> and returns its path.</summary>
    public static string Write(string payloadDirectory, CondaPackageSpec spec, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var payload = Path.GetFullPath(payloadDirectory);
        var files = EnumeratePayload(payload, "").Order(StringComparer.Ordinal).ToList();
        var info = BuildInfo(payload, files, spec);

        Directory.CreateDirectory(outputDirectory);
        var output = Path.Combine(Path.GetFullPath(outputDirectory), spec.DistName + PackageExtractor.CondaExtension);
        using var zip = new ZipArchive(File.Create(output), ZipArchiveMode.Create);
        AddMember(zip, "metadata.json", Encoding.UTF8.GetBytes("{\"conda_pkg_format_version\": 2}"));
        AddMember(zip, $"pkg-{spec.DistName}.tar.zst", TarZst(writer =>
        {
            foreach (var relative in files)
                WriteFileEntry(writer, payload, relative);
        }));
        AddMember(zip, $"info-{spec.DistName}.tar.zst", TarZst(writer =>
        {
            foreach (var (name, content) in info.OrderBy(pair => pair.Key, StringComparer.Ordinal))
                WriteBytesEntry(writer, name, content);
        }));
        return output;
    }

    private static Dictionary<string, byte[]> BuildInfo(string payload, List<string> files, CondaPackageSpec spec)
    {
        var paths = new JsonArray();
        var hasPrefix = new StringBuilder();
        var placeholder = spec.Placeholder is null ? null : Encoding.UTF8.GetBytes(spec.Placeholder);
        foreach (var relative in files)
        {
            var full = Path.Combine(payload, relative);
            var isLink = FileOps.IsSymlink(full);
            var contentPath = FileOps.ContentPath(full);
            var content = contentPath is null ? [] : File.ReadAllBytes(contentPath);
            var entry = new JsonObject
            {
                ["_path"] = relative,
                ["path_type"] = isLink ? "softlink" : "hardlink",
                ["sha256"] = FileOps.Sha256Hex(content),
                ["size_in_bytes"] = content.Length,
            };
            if (!isLink && placeholder is not null && content.AsSpan().IndexOf(placeholder) >= 0)
            {
                var mode = content.AsSpan().IndexOf((byte)0) >= 0 ? "binary" : "text";
                entry["file_mode"] = mode;
                entry["prefix_placeholder"] = spec.Placeholder;
                hasPrefix.Append(spec.Placeholder).Append(' ').Append(mode).Append(' ').Append(relative).Append('\n');
            }

            paths.Add(entry);
        }

        var index = new JsonObject
        {
            ["arch"] = spec.Subdir == "noarch" ? null : spec.Arch,
            ["build"] = spec.Build,
            ["build_number"] = spec.BuildNumber,
            ["depends"] = new JsonArray(spec.Depends.Select(d => (JsonNode?)d).ToArray()),
            ["name"] = spec.Name,
            ["platform"] = spec.Subdir == "noarch" ? null : "linux",
            ["subdir"] = spec.Subdir,
            ["timestamp"] = spec.Timestamp,
            ["version"] = spec.Version,
        };
        if (spec.License is not null)
            index["license"] = spec.License;
        if (spec.Noarch is not null)
            index["noarch"] = spec.Noarch;

        var info = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["info/index.json"] = JsonBytes(index),
            ["info/paths.json"] = JsonBytes(new JsonObject { ["paths"] = paths, ["paths_version"] = 1 }),
            ["info/files"] = Encoding.UTF8.GetBytes(string.Concat(files.Select(f => f + "\n"))),
        };
        if (hasPrefix.Length > 0)
            info["info/has_prefix"] = Encoding.UTF8.GetBytes(hasPrefix.ToString());
        if (spec.Noarch is not null)
        {
            info["info/link.json"] = JsonBytes(new JsonObject
            {
                ["noarch"] = new JsonObject { ["type"] = spec.Noarch },
                ["package_metadata_version"] = 1,
            });
        }

        return info;
    }

    private static IEnumerable<string> EnumeratePayload(string root, string relative)
    {
        var directory = new DirectoryInfo(Path.Combine(root, relative));
        foreach (var entry in directory.EnumerateFileSystemInfos())
        {
            var childRelative = relative.Length == 0 ? entry.Name : $"{relative}/{entry.Name}";
            if (entry is DirectoryInfo && entry.LinkTarget is null)
            {
                foreach (var nested in EnumeratePayload(root, childRelative))
                    yield return nested;
            }
            else
            {
                yield return childRelative;
            }
        }
    }

    private static void WriteFileEntry(TarWriter writer, string root, string relative)
    {
        var full = Path.Combine(root, relative);
        if (FileOps.ReadSymlink(full) is { } target)
        {
            writer.WriteEntry(NewEntry(TarEntryType.SymbolicLink, relative, (UnixFileMode)0b111_111_111, target));
            return;
        }

        var entry = NewEntry(TarEntryType.RegularFile, relative, File.GetUnixFileMode(full), null);
        using var data = File.OpenRead(full);
        entry.DataStream = data;
        writer.WriteEntry(entry);
    }

    private static void WriteBytesEntry(TarWriter writer, string name, byte[] content)
    {
        var entry = NewEntry(TarEntryType.RegularFile, name, (UnixFileMode)0b110_100_100, null);
        using var data = new MemoryStream(content);
        entry.DataStream = data;
        writer.WriteEntry(entry);
    }

    private static GnuTarEntry NewEntry(TarEntryType type, string name, UnixFileMode mode, string? linkName)
    {
        var entry = new GnuTarEntry(type, name)
        {
            Mode = mode,
            ModificationTime = _entryTime,
            AccessTime = _entryTime,
            ChangeTime = _entryTime,
            Uid = 0,
            Gid = 0,
        };
        if (linkName is not null)
            entry.LinkName = linkName;
        return entry;
    }

    private static byte[] TarZst(Action<TarWriter> fill)
    {
        using var buffer = new MemoryStream();
        using (var zstd = new CompressionStream(buffer, level: 19))
        using (var writer = new TarWriter(zstd, TarEntryFormat.Gnu, leaveOpen: true))
            fill(writer);
        return buffer.ToArray();
    }

    private static void AddMember(ZipArchive zip, string name, byte[] content)
    {
        // conda stores the already-compressed members without further compression.
        var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
        entry.LastWriteTime = _entryTime;
        using var stream = entry.Open();
        stream.Write(content);
    }

    private static byte[] JsonBytes(JsonObject json)
    {
        using var buffer = new MemoryStream();
        CondaMetaWriter.WriteJson(buffer, json);
        return buffer.ToArray();
    }
}
