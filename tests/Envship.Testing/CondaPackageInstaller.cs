using System.Text.Json.Nodes;

namespace Envship.Testing;

/// <summary>A package linked into a prefix by <see cref="CondaPackageInstaller"/>.</summary>
public sealed record InstalledPackage(string Name, string Version, string Build, IReadOnlyList<string> Files)
{
    /// <summary><c>linux-64</c>, <c>noarch</c>, ...</summary>
    public required string Subdir { get; init; }

    /// <summary>Channel name as conda's history shows it, e.g. <c>conda-forge</c>.</summary>
    public required string ChannelName { get; init; }

    /// <summary>Absolute path of <c>conda-meta/&lt;dist&gt;.json</c>.</summary>
    public required string RecordPath { get; init; }

    /// <summary>Absolute path of the extracted package in the package cache.</summary>
    public required string ExtractedPackageDir { get; init; }

    /// <summary>Absolute path of the package file kept in the package cache.</summary>
    public required string PackageTarballPath { get; init; }

    public string DistName => $"{Name}-{Version}-{Build}";

    /// <summary>The line conda's <c>conda-meta/history</c> adds for this package (without the leading <c>+</c>).</summary>
    public string HistorySpec => $"{ChannelName}/{Subdir}::{DistName}";
}

/// <summary>Options for <see cref="CondaPackageInstaller.Install"/>.</summary>
public sealed record CondaInstallOptions
{
    /// <summary>Channel the record claims the package came from.</summary>
    public string ChannelName { get; init; } = "conda-forge";

    /// <summary>The user's spec for explicitly requested packages; conda writes "None" for dependencies.</summary>
    public string? RequestedSpec { get; init; }
}

/// <summary>Installs a real <c>.conda</c> / <c>.tar.bz2</c> package into a prefix the way conda does.</summary>
public static class CondaPackageInstaller
{
    /// <summary>
    /// Extracts <paramref name="packageFile"/> into <c>pkgsCacheDirectory/&lt;name&gt;-&lt;version&gt;-&lt;build&gt;/</c>
    /// (reusing an existing extraction), links its payload into <paramref name="prefix"/>, replaces
    /// prefix placeholders and writes the conda-meta record.
    /// </summary>
    public static InstalledPackage Install(
        string packageFile, string prefix, string pkgsCacheDirectory, CondaInstallOptions? options = null)
    {
        options ??= new CondaInstallOptions();
        packageFile = Path.GetFullPath(packageFile);
        prefix = Path.GetFullPath(prefix);
        var cache = Path.GetFullPath(pkgsCacheDirectory);
        Directory.CreateDirectory(cache);
        Directory.CreateDirectory(prefix);

        var fn = Path.GetFileName(packageFile);
        var tarball = Path.Combine(cache, fn);
        if (!File.Exists(tarball))
            FileOps.CopyFile(packageFile, tarball);
        var extracted = EnsureExtracted(tarball, cache);
        var index = PackageMetadata.ReadIndex(extracted);
        var paths = PackageMetadata.ReadPaths(extracted);
        var channelBase = "https://conda.anaconda.org/" + options.ChannelName;
        var md5 = FileOps.Md5Hex(tarball);
        var sha256 = FileOps.Sha256Hex(tarball);
        var size = new FileInfo(tarball).Length;
        WriteRepodataRecord(extracted, index, channelBase, fn, md5, sha256, size);
        AppendUrl(cache, $"{channelBase}/{index.Subdir}/{fn}");

        var sitePackages = index.Noarch == "python" ? PythonSitePackages(prefix, index) : null;
        var linked = LinkPayload(extracted, prefix, paths, sitePackages);
        if (sitePackages is not null)
            linked.AddRange(CompileNoarchPython(prefix, linked.Select(l => l.Target)));

        var record = new CondaMetaRecord
        {
            Name = index.Name,
            Version = index.Version,
            Build = index.Build,
            BuildNumber = index.BuildNumber,
            Subdir = index.Subdir,
            ChannelBase = channelBase,
            Fn = fn,
            Md5 = md5,
            Sha256 = sha256,
            Size = size,
            Depends = index.Depends,
            Constrains = index.Constrains,
            License = index.License,
            LicenseFamily = index.LicenseFamily,
            Timestamp = index.Timestamp,
            Files = linked.Select(l => l.Target).Order(StringComparer.Ordinal).ToList(),
            Paths = linked.Select(l => l.Entry).ToList(),
            ExtractedPackageDir = extracted,
            PackageTarballFullPath = tarball,
            RequestedSpec = options.RequestedSpec ?? "None",
            Noarch = index.Noarch,
        };
        var recordPath = CondaMetaWriter.Write(prefix, record);
        return new InstalledPackage(index.Name, index.Version, index.Build, record.Files)
        {
            Subdir = index.Subdir,
            ChannelName = options.ChannelName,
            RecordPath = recordPath,
            ExtractedPackageDir = extracted,
            PackageTarballPath = tarball,
        };
    }

    private static string EnsureExtracted(string tarball, string cache)
    {
        var existing = Path.Combine(cache, PackageExtractor.Stem(tarball));
        if (File.Exists(Path.Combine(existing, "info", "index.json")))
            return existing;

        var partial = Path.Combine(cache, "." + PackageExtractor.Stem(tarball) + ".partial");
        FileOps.DeleteIfPresent(partial);
        PackageExtractor.Extract(tarball, partial);
        PackageExtractor.RepairSoftlinks(partial, PackageMetadata.ReadPaths(partial));
        var final = Path.Combine(cache, PackageMetadata.ReadIndex(partial).DistName);
        FileOps.DeleteIfPresent(final);
        Directory.Move(partial, final);
        return final;
    }

    private sealed record LinkedPath(string Target, CondaPathEntry Entry);

    private static List<LinkedPath> LinkPayload(
        string extracted, string prefix, IReadOnlyList<PackagePath> paths, string? sitePackages)
    {
        var inodes = FileOps.HardLinkGroups(extracted);
        var firstLinkedByInode = new Dictionary<string, string>(StringComparer.Ordinal);
        var result = new List<LinkedPath>();
        foreach (var path in paths)
        {
            var target = MapNoarchPath(path.RelativePath, sitePackages);
            var source = Path.Combine(extracted, path.RelativePath);
            var destination = Path.Combine(prefix, target);
            var linkTarget = FileOps.ReadSymlink(source);
            // conda keeps the package-relative "site-packages/..." in paths_data of noarch python
            // records while "files" names the real location; real records do so, and so do we.
            var entry = new CondaPathEntry(path.RelativePath, path.PathType)
            {
                Sha256 = path.Sha256.Length > 0 ? path.Sha256 : null,
                SizeInBytes = path.SizeInBytes,
            };
            if (linkTarget is not null)
            {
                FileOps.CreateSymlink(destination, linkTarget);
                result.Add(new LinkedPath(target, entry with { PathType = "softlink" }));
                continue;
            }

            if (!File.Exists(source))
                throw new InvalidDataException($"Package cache entry '{source}' listed in paths.json is missing.");

            if (path.PrefixPlaceholder is { } placeholder)
            {
                var mode = path.FileMode ?? PlaceholderMode.Text;
                var rewritten = PlaceholderRewriter.Rewrite(File.ReadAllBytes(source), placeholder, prefix, mode);
                FileOps.EnsureParent(destination);
                FileOps.DeleteIfPresent(destination);
                File.WriteAllBytes(destination, rewritten);
                FileOps.CopyMetadata(source, destination);
                entry = entry with
                {
                    PrefixPlaceholder = placeholder,
                    FileMode = mode == PlaceholderMode.Binary ? "binary" : "text",
                    Sha256InPrefix = FileOps.Sha256Hex(rewritten),
                };
            }
            else
            {
                if (inodes.TryGetValue(path.RelativePath, out var inode) &&
                    firstLinkedByInode.TryGetValue(inode, out var sibling))
                {
                    FileOps.CreateHardLink(sibling, destination);
                }
                else
                {
                    FileOps.CopyFile(source, destination);
                    if (inode is not null)
                        firstLinkedByInode[inode] = destination;
                }

                entry = entry with { Sha256InPrefix = entry.Sha256 ?? FileOps.Sha256Hex(destination) };
            }

            result.Add(new LinkedPath(target, entry));
        }

        return result;
    }

    private static string MapNoarchPath(string relative, string? sitePackages)
    {
        if (sitePackages is null)
            return relative;
        if (relative.StartsWith("site-packages/", StringComparison.Ordinal))
            return sitePackages + relative["site-packages".Length..];
        if (relative.StartsWith("python-scripts/", StringComparison.Ordinal))
            return "bin" + relative["python-scripts".Length..];
        return relative;
    }

    private static string PythonSitePackages(string prefix, PackageIndex index)
    {
        var python = PythonInPrefix.Find(prefix)
            ?? throw new InvalidOperationException(
                $"{index.DistName} is a noarch: python package, but '{prefix}' has no python to give it a site-packages directory.");
        return python.SitePackagesRelativePath;
    }

    // conda byte-compiles noarch python modules with the environment's interpreter and records
    // the results as pyc_file entries; doing the same also keeps a later import from writing them.
    private static List<LinkedPath> CompileNoarchPython(string prefix, IEnumerable<string> targets)
    {
        var sources = targets.Where(t => t.EndsWith(".py", StringComparison.Ordinal)).ToList();
        var python = PythonInPrefix.Find(prefix);
        if (sources.Count == 0 || python is null)
            return [];
        const string Script = "import py_compile, sys\nfor f in sys.argv[1:]:\n    print(py_compile.compile(f, doraise=True))\n";
        var args = new List<string> { "-c", Script };
        args.AddRange(sources.Select(s => Path.Combine(prefix, s)));
        var output = ProcessRunner.RunChecked(Path.Combine(prefix, python.ExecutableRelativePath), args, environment: PythonInPrefix.CleanEnvironment);
        return output.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(pyc => FileOps.Relative(prefix, pyc.Trim()))
            .Select(pyc => new LinkedPath(pyc, new CondaPathEntry(pyc, "pyc_file")))
            .ToList();
    }

    private static void WriteRepodataRecord(
        string extracted, PackageIndex index, string channelBase, string fn, string md5, string sha256, long size)
    {
        var json = new JsonObject
        {
            ["build"] = index.Build,
            ["build_number"] = index.BuildNumber,
            ["channel"] = $"{channelBase}/{index.Subdir}",
            ["constrains"] = new JsonArray(index.Constrains.Select(c => (JsonNode?)c).ToArray()),
            ["depends"] = new JsonArray(index.Depends.Select(d => (JsonNode?)d).ToArray()),
            ["fn"] = fn,
            ["md5"] = md5,
            ["name"] = index.Name,
            ["sha256"] = sha256,
            ["size"] = size,
            ["subdir"] = index.Subdir,
            ["timestamp"] = index.Timestamp,
            ["url"] = $"{channelBase}/{index.Subdir}/{fn}",
            ["version"] = index.Version,
        };
        if (index.License is not null)
            json["license"] = index.License;
        if (index.Noarch is not null)
            json["noarch"] = index.Noarch;
        CondaMetaWriter.WriteJsonFile(Path.Combine(extracted, "info", "repodata_record.json"), json);
    }

    private static void AppendUrl(string cache, string url)
    {
        var urls = Path.Combine(cache, "urls.txt");
        var existing = File.Exists(urls) ? File.ReadAllLines(urls) : [];
        if (!existing.Contains(url, StringComparer.Ordinal))
            File.AppendAllText(urls, url + "\n");
    }
}
