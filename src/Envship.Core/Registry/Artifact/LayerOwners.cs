using System.Text;
using System.Text.Json;
using Envship.Core.Conda;
using Envship.Core.Manifests;

namespace Envship.Core.Registry.Artifact;

/// <summary>
/// Finds who owns which files of an environment from its own members: the conda-meta records of
/// every environment the manifest lists, and every <c>*.dist-info/RECORD</c>.
/// </summary>
public static class LayerOwners
{
    /// <param name="read">The bytes of a regular-file member by its archive path.</param>
    public static (IReadOnlyList<CondaLayerOwner> Conda, IReadOnlyList<PipLayerOwner> Pip) Find(Manifest manifest, Func<string, byte[]> read)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(read);
        var conda = new List<CondaLayerOwner>();
        var pip = new List<PipLayerOwner>();
        var files = manifest.Entries.Where(e => e.Type == EntryType.File).Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        var environments = manifest.Environments.Select(e => e.Path).OrderByDescending(p => p.Length).ToList();
        foreach (var entry in manifest.Entries.Where(e => e.Type == EntryType.File))
        {
            var path = entry.Path;
            var environment = environments.FirstOrDefault(e => e.Length == 0 || path.StartsWith(e + "/", StringComparison.Ordinal));
            if (environment is null)
            {
                continue;
            }

            var relative = environment.Length == 0 ? path : path[(environment.Length + 1)..];
            if (relative.StartsWith(CondaMeta.DirectoryName + "/", StringComparison.Ordinal) && relative.EndsWith(".json", StringComparison.Ordinal)
                && relative.IndexOf('/', CondaMeta.DirectoryName.Length + 1) < 0)
            {
                conda.Add(new CondaLayerOwner(environment, ParseRecord(path, read(path))));
            }
            else if (relative.EndsWith(".dist-info/RECORD", StringComparison.Ordinal))
            {
                pip.Add(ReadDistribution(manifest, files, environment, path, read));
            }
        }

        return (conda, pip);
    }

    private static CondaPackageRecord ParseRecord(string path, byte[] json)
    {
        try
        {
            return CondaPackageRecord.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new EnvshipException(ExitCode.InvalidEnvironment, $"{path}: this conda-meta record is not valid JSON ({ex.Message}), so its package cannot be given a layer. Repair the record (conda install --force-reinstall PACKAGE) and pack again.", ex);
        }
    }

    private static PipLayerOwner ReadDistribution(Manifest manifest, HashSet<string> files, string environment, string recordPath, Func<string, byte[]> read)
    {
        var distInfo = recordPath[..^"/RECORD".Length];
        var slash = distInfo.LastIndexOf('/');
        var sitePackages = slash < 0 ? "" : distInfo[..slash];
        var directoryName = distInfo[(slash + 1)..^".dist-info".Length];
        var dash = directoryName.IndexOf('-', StringComparison.Ordinal);
        var (name, version) = dash < 0 ? (directoryName, "") : (directoryName[..dash], directoryName[(dash + 1)..]);
        var metadataPath = distInfo + "/METADATA";
        if (files.Contains(metadataPath))
        {
            (name, version) = MetadataHeaders(Encoding.UTF8.GetString(read(metadataPath)), name, version);
        }

        var paths = PipRecord.Paths(Encoding.UTF8.GetString(read(recordPath)), sitePackages, manifest.SourcePrefix, environment);
        return new PipLayerOwner(name, version, distInfo, [.. paths, recordPath]);
    }

    private static (string Name, string Version) MetadataHeaders(string text, string name, string version)
    {
        string? foundName = null;
        string? foundVersion = null;
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.TrimEnd('\r');
            if (trimmed.Length == 0)
            {
                break;
            }

            if (foundName is null && trimmed.StartsWith("Name:", StringComparison.OrdinalIgnoreCase))
            {
                foundName = trimmed[5..].Trim();
            }
            else if (foundVersion is null && trimmed.StartsWith("Version:", StringComparison.OrdinalIgnoreCase))
            {
                foundVersion = trimmed[8..].Trim();
            }
        }

        return (foundName ?? name, foundVersion ?? version);
    }
}
