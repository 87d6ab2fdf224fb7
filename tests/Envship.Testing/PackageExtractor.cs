using System.Formats.Tar;
using System.IO.Compression;
using ZstdSharp;

namespace Envship.Testing;

/// <summary>Unpacks <c>.conda</c> and <c>.tar.bz2</c> packages the way conda fills its package cache.</summary>
internal static class PackageExtractor
{
    public const string CondaExtension = ".conda";
    public const string TarBz2Extension = ".tar.bz2";

    /// <summary>File name without the package extension: <c>zlib-1.2.11-h7b6447c_3</c>.</summary>
    public static string Stem(string packageFile)
    {
        var name = Path.GetFileName(packageFile);
        if (name.EndsWith(CondaExtension, StringComparison.Ordinal))
            return name[..^CondaExtension.Length];
        if (name.EndsWith(TarBz2Extension, StringComparison.Ordinal))
            return name[..^TarBz2Extension.Length];
        throw new ArgumentException($"'{packageFile}' is neither a .conda nor a .tar.bz2 package.", nameof(packageFile));
    }

    /// <summary>Extracts the whole package (info and payload) into <paramref name="destination"/>.</summary>
    public static void Extract(string packageFile, string destination)
    {
        Directory.CreateDirectory(destination);
        if (packageFile.EndsWith(CondaExtension, StringComparison.Ordinal))
            ExtractConda(packageFile, destination);
        else
            ExtractTarBz2(packageFile, destination);
    }

    /// <summary>
    /// Restores softlinks that a package lists in paths.json but ships without a target.
    /// </summary>
    /// <remarks>
    /// conda's own test packages (zlib in conda_format_repo) had their link targets stripped: the
    /// .conda holds symlinks to "" and the .tar.bz2 holds empty regular files. Pointing each one at
    /// the file in the same directory with the digest paths.json gives it yields the links the
    /// original package had (libz.so -> libz.so.1.2.11), so environments built from it stay usable.
    /// </remarks>
    public static void RepairSoftlinks(string extractedDirectory, IReadOnlyList<PackagePath> paths)
    {
        foreach (var link in paths.Where(p => p.PathType == "softlink"))
        {
            var full = Path.Combine(extractedDirectory, link.RelativePath);
            if (FileOps.IsSymlink(full))
                continue;
            var directory = Path.GetDirectoryName(link.RelativePath) ?? "";
            var target = paths.FirstOrDefault(p =>
                p.PathType == "hardlink" && p.Sha256 == link.Sha256 && link.Sha256.Length > 0 &&
                (Path.GetDirectoryName(p.RelativePath) ?? "") == directory);
            if (target is null)
                continue;
            FileOps.CreateSymlink(full, Path.GetFileName(target.RelativePath));
        }
    }

    private static void ExtractConda(string packageFile, string destination)
    {
        using var zip = ZipFile.OpenRead(packageFile);
        var members = zip.Entries
            .Where(e => e.FullName.EndsWith(".tar.zst", StringComparison.Ordinal))
            .OrderBy(e => e.FullName.StartsWith("pkg-", StringComparison.Ordinal) ? 1 : 0)
            .ToList();
        if (members.Count == 0)
            throw new InvalidDataException($"{packageFile} holds no info-*.tar.zst / pkg-*.tar.zst members.");
        foreach (var member in members)
        {
            using var compressed = member.Open();
            using var decompressed = new DecompressionStream(compressed);
            using var reader = new TarReader(decompressed);
            while (reader.GetNextEntry() is { } entry)
                WriteEntry(entry, destination);
        }
    }

    private static void WriteEntry(TarEntry entry, string destination)
    {
        var full = Path.GetFullPath(Path.Combine(destination, entry.Name));
        var root = Path.GetFullPath(destination) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(root, StringComparison.Ordinal) && full + Path.DirectorySeparatorChar != root)
            throw new InvalidDataException($"Archive member '{entry.Name}' escapes the extraction directory.");
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                Directory.CreateDirectory(full);
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                FileOps.EnsureParent(full);
                using (var output = File.Create(full))
                    entry.DataStream?.CopyTo(output);
                File.SetUnixFileMode(full, entry.Mode);
                File.SetLastWriteTimeUtc(full, entry.ModificationTime.UtcDateTime);
                break;
            case TarEntryType.SymbolicLink:
                // An empty target cannot be created; RepairSoftlinks deals with it afterwards.
                if (entry.LinkName.Length > 0)
                    FileOps.CreateSymlink(full, entry.LinkName);
                break;
            case TarEntryType.HardLink:
                FileOps.CreateHardLink(Path.Combine(destination, entry.LinkName), full);
                break;
            default:
                break;
        }
    }

    private static void ExtractTarBz2(string packageFile, string destination) =>
        ProcessRunner.RunChecked("tar", ["-xjf", packageFile, "-C", destination, "--no-same-owner"]);
}
