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
        foreach (var full in Walk(root))
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

    /// <summary>Every path below the root, descending into real directories only, never through symlinks.</summary>
    public static IEnumerable<string> Walk(string root)
    {
        var pending = new Stack<string>([root]);
        while (pending.Count > 0)
        {
            foreach (var full in Directory.EnumerateFileSystemEntries(pending.Pop()))
            {
                yield return full;
                if (UnixFileSystem.Stat(full).Kind == UnixFileKind.Directory)
                {
                    pending.Push(full);
                }
            }
        }
    }

    /// <summary>Files (outside .pyc and envship's own receipt) whose bytes still contain <paramref name="needle"/>.</summary>
    public static List<string> FilesContaining(string root, string needle)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(needle);
        return [.. Walk(root)
            .Where(f => !f.EndsWith(".pyc", StringComparison.Ordinal) && UnixFileSystem.Stat(f).Kind == UnixFileKind.RegularFile)
            .Where(f => !Path.GetRelativePath(root, f).StartsWith(".envship/", StringComparison.Ordinal))
            .Where(f => File.ReadAllBytes(f).AsSpan().IndexOf(bytes) >= 0)
            .Select(f => Path.GetRelativePath(root, f))];
    }
}
