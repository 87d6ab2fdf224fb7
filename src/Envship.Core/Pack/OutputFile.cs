using System.Globalization;
using Envship.Core.Archive;
using Envship.Core.Manifests;

namespace Envship.Core.Pack;

/// <summary>
/// The output side of a pack: refuse to overwrite without <c>-f</c>, write under a temporary name
/// beside the output, and clear temporaries that a killed pack left behind.
/// </summary>
internal static class OutputFile
{
    private const string TemporaryMarker = ".envship-tmp-";

    public static void ClaimOrThrow(string output, bool force)
    {
        if ((File.Exists(output) || Directory.Exists(output)) && !force)
        {
            throw new EnvshipException(ExitCode.DestinationExists, $"{output}: already exists. Pass -f to overwrite it, or choose another name with -o.");
        }

        var directory = Path.GetDirectoryName(output)!;
        if (!Directory.Exists(directory))
        {
            throw new EnvshipException(ExitCode.Usage, $"{output}: the directory '{directory}' does not exist. Create it or choose another -o.");
        }

        RemoveAbandonedTemporaries(output);
    }

    public static string TemporaryPath(string output) => $"{output}{TemporaryMarker}{Environment.ProcessId}";

    /// <summary>Temporaries whose writing process is gone can only be leftovers of a killed pack.</summary>
    private static void RemoveAbandonedTemporaries(string output)
    {
        var directory = Path.GetDirectoryName(output)!;
        var pattern = Path.GetFileName(output) + TemporaryMarker + "*";
        foreach (var candidate in Directory.EnumerateFileSystemEntries(directory, pattern))
        {
            var suffix = candidate[(candidate.LastIndexOf(TemporaryMarker, StringComparison.Ordinal) + TemporaryMarker.Length)..];
            var digits = suffix.Length - suffix.TrimStart("0123456789".ToCharArray()).Length;
            if (!int.TryParse(suffix[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || Directory.Exists($"/proc/{pid}"))
            {
                continue;
            }

            if (Directory.Exists(candidate))
            {
                Deploy.StagingDirectory.Remove(candidate);
            }
            else
            {
                File.Delete(candidate);
            }
        }
    }
}

/// <summary>A scratch directory beside the output for files rewritten at pack time; gone when disposed.</summary>
internal sealed class SpoolDirectory(string output) : IDisposable
{
    private string? _path;

    public string Path => _path ??= Directory.CreateDirectory(OutputFile.TemporaryPath(output) + "-spool").FullName;

    public void Dispose()
    {
        if (_path is not null && Directory.Exists(_path))
        {
            Directory.Delete(_path, recursive: true);
        }
    }
}
