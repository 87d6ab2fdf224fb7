using System.Text.Json;

namespace Envship.Core.Conda;

/// <summary>Reads the <c>conda-meta/</c> directory of an environment.</summary>
public static class CondaMeta
{
    public const string DirectoryName = "conda-meta";

    /// <summary>
    /// Parses every <c>PREFIX/conda-meta/*.json</c> record, sorted by package name.
    /// Throws <see cref="DirectoryNotFoundException"/> when there is no conda-meta directory and
    /// <see cref="CondaMetaException"/> (naming the file) when a record cannot be read or parsed.
    /// </summary>
    public static IReadOnlyList<CondaPackageRecord> ReadRecords(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var metaDir = Path.Combine(prefix, DirectoryName);
        if (!Directory.Exists(metaDir))
        {
            throw new DirectoryNotFoundException($"'{prefix}' has no {DirectoryName}/ directory, so it is not a conda environment.");
        }

        var records = new List<(CondaPackageRecord Record, string File)>();
        foreach (var file in Directory.EnumerateFiles(metaDir, "*.json"))
        {
            records.Add((ReadRecord(file), Path.GetFileName(file)));
        }

        return records
            .OrderBy(r => r.Record.Name, StringComparer.Ordinal)
            .ThenBy(r => r.File, StringComparer.Ordinal)
            .Select(r => r.Record)
            .ToArray();
    }

    /// <summary>Reads and parses one record file; failures name the file.</summary>
    public static CondaPackageRecord ReadRecord(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMetaException($"Cannot read conda-meta record '{path}': {e.Message}", e) { FilePath = path };
        }

        try
        {
            return CondaPackageRecord.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new CondaMetaException($"Corrupt conda-meta record '{path}': {e.Message}", e) { FilePath = path };
        }
    }

    /// <summary>
    /// Maps each file (relative path) that embeds a build prefix to its placeholder and file mode.
    /// When several records list the same path, the later record in <paramref name="records"/> wins,
    /// matching conda, where the package linked last owns a clobbered file.
    /// </summary>
    public static IReadOnlyDictionary<string, CondaPlaceholder> PathsWithPlaceholders(IEnumerable<CondaPackageRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var result = new Dictionary<string, CondaPlaceholder>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            foreach (var entry in record.PathsData)
            {
                if (!string.IsNullOrEmpty(entry.PrefixPlaceholder))
                {
                    // conda treats a placeholder without file_mode as text.
                    result[entry.Path] = new CondaPlaceholder(entry.PrefixPlaceholder, entry.FileMode ?? "text");
                }
            }
        }

        return result;
    }
}
