using System.Security.Cryptography;
using System.Text;

namespace Envship.Testing;

/// <summary>A python interpreter copied into a prefix by <see cref="PythonInstaller"/>.</summary>
/// <param name="Version">Major.minor, e.g. <c>3.11</c>.</param>
/// <param name="ExecutableRelativePath">e.g. <c>bin/python3.11</c>.</param>
public sealed record InstalledPython(string Version, string ExecutableRelativePath)
{
    /// <summary>e.g. <c>3.11.7</c>.</summary>
    public required string FullVersion { get; init; }

    /// <summary>e.g. <c>lib/python3.11/site-packages</c>.</summary>
    public required string SitePackagesRelativePath { get; init; }

    /// <summary>e.g. <c>lib/libpython3.11.so.1.0</c>, or null for a statically linked interpreter.</summary>
    public string? LibPythonRelativePath { get; init; }

    /// <summary>The host interpreter that was copied.</summary>
    public required string SourceExecutable { get; init; }

    /// <summary>Absolute path of the python conda-meta record.</summary>
    public required string RecordPath { get; init; }

    /// <summary>Prefix-relative paths the python record lists (interpreter, libpython, stdlib).</summary>
    public required IReadOnlyList<string> Files { get; init; }
}

/// <summary>Options for <see cref="PythonInstaller.Install(string, PythonInstallOptions?)"/>.</summary>
public sealed record PythonInstallOptions
{
    /// <summary>Interpreter to copy; default: <c>python3</c> on PATH (a pyenv shim is resolved), else <c>/usr/bin/python3</c>.</summary>
    public string? Interpreter { get; init; }

    /// <summary>Package cache the python record names; default: <c>pkgs</c> beside the prefix.</summary>
    public string? PkgsCacheDirectory { get; init; }

    public string ChannelName { get; init; } = "conda-forge";
}

/// <summary>Builds a working python environment by copying the machine's own interpreter into a prefix.</summary>
public static class PythonInstaller
{
    /// <summary>Build string of the python record: <c>python-3.X.Y-h_envship_test_0.json</c>.</summary>
    public const string Build = "h_envship_test_0";

    private const long RecordTimestamp = 1767225600000;

    /// <summary>Environment overrides that leave a copied interpreter to configure itself from its location.</summary>
    public static IDictionary<string, string?> CleanEnvironment() => PythonInPrefix.CleanEnvironment;

    /// <summary>Copies the default interpreter into <paramref name="prefix"/>.</summary>
    public static InstalledPython Install(string prefix) => Install(prefix, null);

    /// <summary>
    /// Copies an interpreter, its libpython and standard library into <paramref name="prefix"/>, points
    /// RUNPATHs at <c>PREFIX/lib</c>, adds <c>bin/hello-env</c>, a pip-installed <c>greeting</c> with
    /// <c>bin/greet</c>, and a conda-meta record, then checks the copy runs from the prefix.
    /// </summary>
    public static InstalledPython Install(string prefix, PythonInstallOptions? options)
    {
        options ??= new PythonInstallOptions();
        prefix = Path.GetFullPath(prefix);
        Directory.CreateDirectory(prefix);
        var host = PythonHost.Probe(options.Interpreter ?? PythonHost.DefaultInterpreter());

        var written = PythonPayload.Copy(host, prefix);
        PythonPayload.RetargetRunPaths(prefix, host.Version, written);
        var executable = $"bin/python{host.Version}";
        var sitePackages = $"lib/python{host.Version}/site-packages";
        VerifyRunsFromPrefix(prefix, executable);
        EnsureSitePackagesOnPath(prefix, executable, sitePackages);

        var recordPath = WriteRecord(prefix, host, written, sitePackages, options);
        PythonExtras.WriteHelloEnv(prefix, executable);
        PythonExtras.InstallGreeting(prefix, executable, sitePackages);

        return new InstalledPython(host.Version, executable)
        {
            FullVersion = host.FullVersion,
            SitePackagesRelativePath = sitePackages,
            LibPythonRelativePath = written.FirstOrDefault(w =>
                w.StartsWith("lib/libpython", StringComparison.Ordinal) && !FileOps.IsSymlink(Path.Combine(prefix, w))),
            SourceExecutable = host.Executable,
            RecordPath = recordPath,
            Files = written.Order(StringComparer.Ordinal).ToList(),
        };
    }

    private static void VerifyRunsFromPrefix(string prefix, string executable)
    {
        var result = ProcessRunner.RunChecked(
            Path.Combine(prefix, executable), ["-c", "import json, os; print(os.__file__)"],
            environment: PythonInPrefix.CleanEnvironment);
        var osFile = result.StdOut.Trim();
        if (!osFile.StartsWith(prefix + "/", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"The python copied to {prefix} loads its standard library from '{osFile}', not from the prefix.");
        }
    }

    // Debian's interpreter only scans dist-packages directories; a relative .pth in one of them
    // makes lib/python3.X/site-packages importable without embedding the prefix anywhere.
    private static void EnsureSitePackagesOnPath(string prefix, string executable, string sitePackages)
    {
        const string Script = "import site, sys; print('\\n'.join(site.getsitepackages()))";
        var candidates = ProcessRunner.RunChecked(Path.Combine(prefix, executable), ["-c", Script],
            environment: PythonInPrefix.CleanEnvironment).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var wanted = Path.Combine(prefix, sitePackages);
        if (candidates.Contains(wanted, StringComparer.Ordinal))
            return;
        var siteDirectory = candidates.FirstOrDefault(c =>
                c.StartsWith(Path.Combine(prefix, "lib") + "/", StringComparison.Ordinal) &&
                Path.GetDirectoryName(c) == Path.GetDirectoryName(wanted))
            ?? throw new InvalidOperationException(
                $"The copied python has no site directory beside {wanted}: {string.Join(", ", candidates)}");
        Directory.CreateDirectory(siteDirectory);
        File.WriteAllText(Path.Combine(siteDirectory, "envship-site-packages.pth"),
            Path.GetRelativePath(siteDirectory, wanted) + "\n");
    }

    private static string WriteRecord(
        string prefix, PythonHost host, List<string> written, string sitePackages, PythonInstallOptions options)
    {
        var paths = new List<CondaPathEntry>();
        var manifest = new StringBuilder();
        long totalSize = 0;
        foreach (var relative in written.Order(StringComparer.Ordinal))
        {
            var full = Path.Combine(prefix, relative);
            var isLink = FileOps.IsSymlink(full);
            var content = FileOps.ContentPath(full);
            var sha = content is null ? FileOps.Sha256Hex([]) : FileOps.Sha256Hex(content);
            var size = content is null ? 0 : new FileInfo(content).Length;
            paths.Add(new CondaPathEntry(relative, isLink ? "softlink" : "hardlink")
            {
                Sha256 = sha,
                Sha256InPrefix = isLink ? null : sha,
                SizeInBytes = size,
            });
            manifest.Append(relative).Append('\t').Append(sha).Append('\n');
            if (!isLink)
                totalSize += size;
        }

        // No package file exists for a copied interpreter: digest the payload manifest instead, so
        // md5/sha256 are stable for the same interpreter and change when its content does.
        var manifestBytes = Encoding.UTF8.GetBytes(manifest.ToString());
        var cache = options.PkgsCacheDirectory ?? Path.Combine(Path.GetDirectoryName(prefix)!, "pkgs");
        var dist = $"python-{host.FullVersion}-{Build}";
        var record = new CondaMetaRecord
        {
            Name = "python",
            Version = host.FullVersion,
            Build = Build,
            BuildNumber = 0,
            Subdir = "linux-64",
            ChannelBase = "https://conda.anaconda.org/" + options.ChannelName,
            Fn = dist + ".conda",
#pragma warning disable CA5351 // an identifier mirroring conda's md5 field, not a security measure.
            Md5 = Convert.ToHexStringLower(MD5.HashData(manifestBytes)),
#pragma warning restore CA5351
            Sha256 = FileOps.Sha256Hex(manifestBytes),
            Size = totalSize,
            Depends = ["libgcc >=13", "libzlib >=1.3.1,<2.0a0", $"python_abi {host.Version}.* *_cp{host.Version.Replace(".", "", StringComparison.Ordinal)}"],
            License = "Python-2.0",
            Timestamp = RecordTimestamp,
            Files = written.Order(StringComparer.Ordinal).ToList(),
            Paths = paths,
            ExtractedPackageDir = Path.Combine(cache, dist),
            PackageTarballFullPath = Path.Combine(cache, dist + ".conda"),
            RequestedSpec = $"python={host.Version}",
            PythonSitePackagesPath = sitePackages,
        };
        return CondaMetaWriter.Write(prefix, record);
    }
}
