using Envship.Core.Conda;
using Envship.Core.Scanning;

namespace Envship.Core.Exports;

/// <summary>Turns what conda-meta and site-packages say about an environment into an <see cref="ExportEnvironment"/>.</summary>
public static class ExportModelBuilder
{
    /// <param name="environment">The surveyed environment.</param>
    /// <param name="environmentPrefix">Where the environment is on disk now, for reading conda-meta/history.</param>
    /// <param name="exportedPrefix">The prefix the export names (the destination for <c>--dest-prefix</c>).</param>
    /// <param name="subdir">The platform's conda subdir.</param>
    /// <param name="created">The time the exports describe.</param>
    /// <param name="fileSize">The size of a file relative to the environment, or null when it is not there.</param>
    public static ExportEnvironment Build(
        SurveyedEnvironment environment,
        string environmentPrefix,
        string exportedPrefix,
        string subdir,
        DateTimeOffset created,
        Func<string, long?> fileSize)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(fileSize);
        var condaDistInfos = environment.Records
            .SelectMany(r => r.Files)
            .Select(DistInfoDirectory)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        return new ExportEnvironment
        {
            Name = environment.Name,
            Prefix = exportedPrefix,
            Subdir = subdir,
            Created = created,
            Packages = [.. environment.Records.Select(r => ToPackage(r, fileSize))],
            PipDistributions =
            [
                .. environment.PipDistributions
                    .Where(d => d.Installer != "conda"
                        && !condaDistInfos.Contains(Path.GetRelativePath(environmentPrefix, d.DistInfoPath).Replace('\\', '/')))
                    .Select(d => new ExportPipDistribution(d.Name, d.Version, d.Installer)),
            ],
            RequestedSpecs = RequestedSpecs.Read(environmentPrefix),
        };
    }

    /// <summary>The sum of the sizes of a record's files, or null when none of them is present.</summary>
    public static long? InstalledSize(CondaPackageRecord record, Func<string, long?> fileSize)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(fileSize);
        var files = record.Files.Count > 0 ? record.Files : [.. record.PathsData.Select(p => p.Path)];
        long? total = null;
        foreach (var file in files.Distinct(StringComparer.Ordinal))
        {
            if (fileSize(file) is { } size)
            {
                total = (total ?? 0) + size;
            }
        }

        return total;
    }

    private static ExportPackage ToPackage(CondaPackageRecord record, Func<string, long?> fileSize) => new()
    {
        Name = record.Name,
        Version = record.Version,
        Build = record.Build,
        Channel = record.ChannelName ?? "",
        Subdir = record.Subdir ?? "",
        Url = record.Url,
        FileName = record.Fn ?? (record.Url is { } url ? url[(url.LastIndexOf('/') + 1)..] : null),
        Md5 = record.Md5,
        Sha256 = record.Sha256,
        License = record.License,
        Depends = record.Depends,
        InstalledSize = InstalledSize(record, fileSize),
    };

    private static string? DistInfoDirectory(string file)
    {
        var index = file.IndexOf(".dist-info/", StringComparison.Ordinal);
        return index < 0 ? null : file[..(index + ".dist-info".Length)];
    }
}
