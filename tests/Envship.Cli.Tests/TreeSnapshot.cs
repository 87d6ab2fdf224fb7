using System.Security.Cryptography;
using Envship.Core.Platform;

namespace Envship.Cli.Tests;

public sealed record TreeEntry(string Path, UnixFileKind Kind, int Mode, long MtimeNs, string? Sha256, string? LinkTarget, ulong Inode);

/// <summary>Every entry under a root with exact metadata, for byte-for-byte and metadata comparisons.</summary>
public static class TreeSnapshot
{
    public static Dictionary<string, TreeEntry> Take(string root, Func<string, bool>? skip = null)
    {
        var entries = new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        foreach (var full in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var relative = Path.GetRelativePath(root, full);
            if (skip?.Invoke(relative) == true)
            {
                continue;
            }

            var status = UnixFileSystem.Stat(full);
            entries[relative] = new TreeEntry(
                relative,
                status.Kind,
                status.Mode,
                status.ModifiedNanoseconds,
                status.Kind == UnixFileKind.RegularFile ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(full))) : null,
                status.Kind == UnixFileKind.SymbolicLink ? new FileInfo(full).LinkTarget : null,
                status.Inode);
        }

        return entries;
    }

    /// <summary>Files (outside .pyc and envship's own receipt) whose bytes still contain <paramref name="needle"/>.</summary>
    public static List<string> FilesContaining(string root, string needle)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(needle);
        return [.. Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Where(f => !f.EndsWith(".pyc", StringComparison.Ordinal) && new FileInfo(f).LinkTarget is null)
            .Where(f => !Path.GetRelativePath(root, f).StartsWith(".envship/", StringComparison.Ordinal))
            .Where(f => File.ReadAllBytes(f).AsSpan().IndexOf(bytes) >= 0)
            .Select(f => Path.GetRelativePath(root, f))];
    }
}
