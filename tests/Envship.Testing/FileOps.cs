using System.Security.Cryptography;

namespace Envship.Testing;

/// <summary>File-system primitives the builders share: metadata-preserving copies, links and digests.</summary>
internal static class FileOps
{
    public static void CopyFile(string source, string destination)
    {
        EnsureParent(destination);
        DeleteIfPresent(destination);
        File.Copy(source, destination);
        CopyMetadata(source, destination);
    }

    public static void CopyMetadata(string source, string destination)
    {
        File.SetUnixFileMode(destination, File.GetUnixFileMode(source));
        File.SetLastWriteTimeUtc(destination, File.GetLastWriteTimeUtc(source));
    }

    public static void CreateSymlink(string path, string target)
    {
        EnsureParent(path);
        DeleteIfPresent(path);
        File.CreateSymbolicLink(path, target);
    }

    public static void CreateHardLink(string existing, string newPath)
    {
        EnsureParent(newPath);
        DeleteIfPresent(newPath);
        Envship.Core.Platform.UnixFileSystem.HardLink(existing, newPath);
    }

    /// <summary>The symlink's target text, or null if <paramref name="path"/> is not a symlink (dangling ones included).</summary>
    public static string? ReadSymlink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public static bool IsSymlink(string path) => ReadSymlink(path) is not null;

    /// <summary>The regular file whose bytes <paramref name="path"/> yields (following symlinks), or null if there is none.</summary>
    public static string? ContentPath(string path)
    {
        if (!IsSymlink(path))
            return File.Exists(path) ? path : null;
        var final = File.ResolveLinkTarget(path, returnFinalTarget: true);
        return final is FileInfo { Exists: true } ? final.FullName : null;
    }

    public static void DeleteIfPresent(string path)
    {
        if (IsSymlink(path) || File.Exists(path))
            File.Delete(path);
        else if (Directory.Exists(path))
            Directory.Delete(path, recursive: true);
    }

    public static void EnsureParent(string path)
    {
        var parent = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(parent))
            Directory.CreateDirectory(parent);
    }

    public static string Sha256Hex(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public static string Sha256Hex(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static string Md5Hex(string path)
    {
        using var stream = File.OpenRead(path);
#pragma warning disable CA5351 // conda records carry an md5 of the package file; it is an identifier here, not security.
        return Convert.ToHexStringLower(MD5.HashData(stream));
#pragma warning restore CA5351
    }

    /// <summary>Relative path with forward slashes, as conda writes them.</summary>
    public static string Relative(string root, string path) =>
        Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>
    /// Groups regular files under <paramref name="root"/> that share an inode, keyed by relative path.
    /// .NET exposes no inode numbers, so ask find(1).
    /// </summary>
    public static IReadOnlyDictionary<string, string> HardLinkGroups(string root)
    {
        var result = ProcessRunner.RunChecked("find", [".", "-type", "f", "-links", "+1", "-printf", "%D:%i %P\\n"], root);
        var groups = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            groups[line[(space + 1)..]] = line[..space];
        }

        return groups;
    }
}
