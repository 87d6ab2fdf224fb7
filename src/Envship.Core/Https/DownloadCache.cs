using System.Text;
using Envship.Core.Hashing;

namespace Envship.Core.Https;

/// <summary>
/// One directory per URL under the downloads cache, holding the partial file and its validator while a transfer is
/// unfinished, then the archive and its signature. A lock on <c>lock</c> keeps two runs from writing the same file.
/// </summary>
internal sealed class DownloadCache : IDisposable
{
    private readonly FileStream _lock;

    private DownloadCache(string directory, string fileName, FileStream held)
    {
        Directory = directory;
        ArchivePath = Path.Combine(directory, fileName);
        _lock = held;
    }

    public string Directory { get; }
    public string ArchivePath { get; }
    public string PartPath => ArchivePath + ".part";
    public string SignaturePath => ArchivePath + ".minisig";

    /// <summary>The default root: <c>$XDG_CACHE_HOME/envship/downloads</c>, else <c>~/.cache/envship/downloads</c>.</summary>
    public static string DefaultRoot(string? xdgCacheHome, string home) =>
        Path.Combine(string.IsNullOrEmpty(xdgCacheHome) ? Path.Combine(home, ".cache") : xdgCacheHome, "envship", "downloads");

    /// <summary>The directory a URL downloads into, named by the URL's SHA-256 so no two URLs share one.</summary>
    public static string DirectoryFor(string root, Uri url) =>
        Path.Combine(root, Convert.ToHexStringLower(Sha256.HashData(Encoding.UTF8.GetBytes(url.ToString())))[..32]);

    public static DownloadCache Open(string root, Uri url)
    {
        var directory = DirectoryFor(root, url);
        System.IO.Directory.CreateDirectory(directory);
        var lockPath = Path.Combine(directory, "lock");
        try
        {
            var held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new DownloadCache(directory, FileNameOf(url), held);
        }
        catch (IOException ex) when (File.Exists(lockPath))
        {
            throw new EnvshipException(ExitCode.Locked, $"{lockPath}: another envship run is downloading {url} into this cache directory. Retry when it has finished.", ex);
        }
    }

    /// <summary>The finished transfer becomes the archive, named as the URL names it.</summary>
    public void Complete()
    {
        File.Move(PartPath, ArchivePath, overwrite: true);
        File.Delete(PartPath + ".json");
    }

    /// <summary>Drops the directory; the lock file goes last, while still held.</summary>
    public void Remove()
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory))
        {
            if (Path.GetFileName(file) != "lock")
            {
                File.Delete(file);
            }
        }

        File.Delete(Path.Combine(Directory, "lock"));
        System.IO.Directory.Delete(Directory);
    }

    public void Dispose() => _lock.Dispose();

    private static string FileNameOf(Uri url)
    {
        var name = Uri.UnescapeDataString(url.Segments[^1]);
        return name.Length is > 0 and <= 200 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_') && name[0] != '.'
            ? name
            : "archive";
    }
}
