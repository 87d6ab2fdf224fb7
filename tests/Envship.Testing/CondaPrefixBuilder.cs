namespace Envship.Testing;

/// <summary>What <see cref="CondaPrefixBuilder.Build"/> puts into an environment.</summary>
public sealed record CondaPrefixOptions
{
    /// <summary>Copy the machine's python (see <see cref="PythonInstaller"/>).</summary>
    public bool WithPython { get; init; }

    /// <summary>Build and install the conda-style <c>greeter</c> package (see <see cref="ElfProgramBuilder.BuildCondaStyle"/>).</summary>
    public bool WithElf { get; init; }

    /// <summary>Compile <c>bin/tight</c> + <c>lib/libtight.so</c> in place (see <see cref="ElfProgramBuilder.BuildTight"/>).</summary>
    public bool WithTightElf { get; init; }

    /// <summary>Install the real packages from the shared fixtures (noarch python only when python is present).</summary>
    public bool WithRealPackages { get; init; }

    /// <summary>Package cache, outside the prefix.</summary>
    public required string PkgsCacheDirectory { get; init; }

    /// <summary>Interpreter to copy instead of the default one.</summary>
    public string? PythonInterpreter { get; init; }

    /// <summary>The conda the history's <c># cmd:</c> line names.</summary>
    public string CondaExecutable { get; init; } = "/opt/conda/bin/conda";

    /// <summary>
    /// The CPU the ELF programs are compiled for. Python and the real packages are this machine's, so
    /// another CPU's environment holds only the programs and the files no package owns.
    /// </summary>
    public ElfTarget Target { get; init; } = ElfTarget.LinuxX64;
}

/// <summary>An environment built by <see cref="CondaPrefixBuilder"/>.</summary>
public sealed record BuiltPrefix(string Prefix, string PkgsCacheDirectory)
{
    public InstalledPython? Python { get; init; }

    /// <summary>Packages installed from package files (real ones and greeter), in install order.</summary>
    public IReadOnlyList<InstalledPackage> Packages { get; init; } = [];

    public ElfProgram? Greeter { get; init; }
    public ElfProgram? Tight { get; init; }

    /// <summary><c>lib/libgreet-abs.so</c> with ELF, else <c>share/abs-link</c>: an absolute symlink into the prefix.</summary>
    public required string AbsoluteLinkRelativePath { get; init; }

    /// <summary>The absolute target of <see cref="AbsoluteLinkRelativePath"/>.</summary>
    public required string AbsoluteLinkTarget { get; init; }
}

/// <summary>Builds a realistic conda environment in one call.</summary>
public static class CondaPrefixBuilder
{
    /// <summary>A text file whose content names the prefix.</summary>
    public const string ExampleConf = "etc/example.conf";

    /// <summary>Relative symlink to <c>../etc/example.conf</c>.</summary>
    public const string RelativeLink = "share/rel-link";

    /// <summary>Symlink to <c>/usr/lib</c>, outside the prefix.</summary>
    public const string OutsideLink = "share/usr-lib";

    /// <summary>Two names of one inode.</summary>
    public const string HardLinkA = "share/hard-a";

    /// <inheritdoc cref="HardLinkA"/>
    public const string HardLinkB = "share/hard-b";

    /// <summary>A file with mode 0640.</summary>
    public const string PrivateFile = "share/private.conf";

    /// <summary>A file whose mtime is <see cref="OldFileTime"/>.</summary>
    public const string OldFile = "share/old-file.txt";

    public static readonly DateTime OldFileTime = new(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);

    /// <summary>The real packages installed with <see cref="CondaPrefixOptions.WithRealPackages"/>, relative to <see cref="FixturePaths.RealPackages"/>.</summary>
    public static IReadOnlyList<string> RealPackageFiles { get; } =
    [
        "linux-64/zlib-1.2.11-h7b6447c_3.conda",
        "noarch/activate_deactivate_package-1.0-0.conda",
        "noarch/small-executable-1.0-0.conda",
        "noarch/cph_test_data-0.0.1-0.tar.bz2",
        "noarch/sample_noarch_python-1.0-py_0.conda",
    ];

    /// <summary>Creates the environment at <paramref name="prefix"/> (absolute path).</summary>
    public static BuiltPrefix Build(string prefix, CondaPrefixOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Target.IsNative && (options.WithPython || options.WithRealPackages))
            throw new ArgumentException($"Python and the real packages are x86-64; an environment for {options.Target.Subdir} cannot hold them.", nameof(options));
        prefix = Path.GetFullPath(prefix);
        var cache = Path.GetFullPath(options.PkgsCacheDirectory);
        Directory.CreateDirectory(Path.Combine(prefix, "conda-meta"));
        var historySpecs = new List<string>();
        var requested = new List<string>();

        InstalledPython? python = null;
        if (options.WithPython)
        {
            python = PythonInstaller.Install(prefix, new PythonInstallOptions
            {
                Interpreter = options.PythonInterpreter,
                PkgsCacheDirectory = cache,
            });
            historySpecs.Add($"conda-forge/linux-64::python-{python.FullVersion}-{PythonInstaller.Build}");
            requested.Add($"python={python.Version}");
        }

        var packages = new List<InstalledPackage>();
        if (options.WithRealPackages)
        {
            foreach (var file in RealPackageFiles)
            {
                var isNoarchPython = file.Contains("sample_noarch_python", StringComparison.Ordinal);
                if (isNoarchPython && python is null)
                    continue;
                var stem = PackageExtractor.Stem(file);
                var name = stem[..stem.LastIndexOf('-', stem.LastIndexOf('-') - 1)];
                var package = CondaPackageInstaller.Install(
                    Path.Combine(FixturePaths.RealPackages, file), prefix, cache,
                    new CondaInstallOptions { RequestedSpec = name });
                packages.Add(package);
                requested.Add(name);
            }
        }

        ElfProgram? greeter = null;
        if (options.WithElf)
        {
            greeter = ElfProgramBuilder.BuildCondaStyle(prefix, cache, options.Target);
            packages.Add(greeter.Package!);
            requested.Add("greeter");
        }

        var tight = options.WithTightElf ? ElfProgramBuilder.BuildTight(prefix, options.Target) : null;
        historySpecs.AddRange(packages.Select(p => p.HistorySpec));
        CondaHistory.Write(prefix, options.CondaExecutable, historySpecs, requested);

        var (linkPath, linkTarget) = AddFileVariety(prefix, greeter is not null);
        return new BuiltPrefix(prefix, cache)
        {
            Python = python,
            Packages = packages,
            Greeter = greeter,
            Tight = tight,
            AbsoluteLinkRelativePath = linkPath,
            AbsoluteLinkTarget = linkTarget,
        };
    }

    // Files no package owns, covering what a relocator must preserve: prefix text, absolute,
    // relative and outside symlinks, hard links, a restrictive mode and an old mtime.
    private static (string LinkPath, string LinkTarget) AddFileVariety(string prefix, bool withElf)
    {
        var conf = Path.Combine(prefix, ExampleConf);
        FileOps.EnsureParent(conf);
        File.WriteAllText(conf, $"# envship example configuration\nprefix={prefix}\ndata_dir={prefix}/share\n");

        var (linkPath, linkTarget) = withElf
            ? ("lib/libgreet-abs.so", Path.Combine(prefix, "lib", "libgreet.so"))
            : ("share/abs-link", conf);
        FileOps.CreateSymlink(Path.Combine(prefix, linkPath), linkTarget);
        FileOps.CreateSymlink(Path.Combine(prefix, RelativeLink), "../etc/example.conf");
        FileOps.CreateSymlink(Path.Combine(prefix, OutsideLink), "/usr/lib");

        var hardA = Path.Combine(prefix, HardLinkA);
        File.WriteAllText(hardA, "one inode, two names\n");
        FileOps.CreateHardLink(hardA, Path.Combine(prefix, HardLinkB));

        var privateFile = Path.Combine(prefix, PrivateFile);
        File.WriteAllText(privateFile, "token=not-a-secret\n");
        File.SetUnixFileMode(privateFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        var oldFile = Path.Combine(prefix, OldFile);
        File.WriteAllText(oldFile, "written long ago\n");
        File.SetLastWriteTimeUtc(oldFile, OldFileTime);
        return (linkPath, linkTarget);
    }
}
