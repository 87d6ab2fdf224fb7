namespace Envship.Testing;

/// <summary>Options for <see cref="WholeInstallBuilder.Build"/>.</summary>
public sealed record WholeInstallOptions
{
    /// <summary>Copy the machine's python into the base prefix (bin/conda then gets a python shebang).</summary>
    public bool WithPython { get; init; }

    /// <summary>Interpreter to copy instead of the default one.</summary>
    public string? PythonInterpreter { get; init; }
}

/// <summary>A Miniconda-like install built by <see cref="WholeInstallBuilder"/>.</summary>
public sealed record BuiltWholeInstall(string Root)
{
    public string PkgsDirectory => Path.Combine(Root, "pkgs");
    public string EnvsDirectory => Path.Combine(Root, "envs");
    public InstalledPython? Python { get; init; }

    /// <summary>Packages of the base prefix (conda, zlib).</summary>
    public required IReadOnlyList<InstalledPackage> BasePackages { get; init; }

    /// <summary><c>a</c> and <c>b</c>.</summary>
    public required IReadOnlyDictionary<string, BuiltPrefix> Envs { get; init; }
}

/// <summary>Builds a whole conda install: base prefix, <c>envs/</c> and the shared <c>pkgs/</c> cache.</summary>
public static class WholeInstallBuilder
{
    public const string CondaVersion = "25.1.1";
    public const string CondaBuild = "py311_0";

    /// <summary>
    /// Creates at <paramref name="root"/>: <c>condabin/conda</c>, <c>bin/conda</c>,
    /// <c>etc/profile.d/conda.sh</c> and <c>conda-meta/conda-25.1.1-py311_0.json</c> (from a conda
    /// package whose text placeholders name the root), the real zlib, optionally python,
    /// <c>envs/a</c> (real packages + greeter) and <c>envs/b</c> (real packages), <c>envs/.conda_envs_dir_test</c>,
    /// and <c>pkgs/</c> holding every package file, its extraction and <c>urls.txt</c>.
    /// </summary>
    public static BuiltWholeInstall Build(string root, WholeInstallOptions? options = null)
    {
        options ??= new WholeInstallOptions();
        root = Path.GetFullPath(root);
        var pkgs = Path.Combine(root, "pkgs");
        Directory.CreateDirectory(Path.Combine(root, "conda-meta"));
        Directory.CreateDirectory(pkgs);
        var condaExecutable = Path.Combine(root, "bin", "conda");

        InstalledPython? python = null;
        var historySpecs = new List<string>();
        var requested = new List<string>();
        if (options.WithPython)
        {
            python = PythonInstaller.Install(root, new PythonInstallOptions
            {
                Interpreter = options.PythonInterpreter,
                PkgsCacheDirectory = pkgs,
            });
            historySpecs.Add($"conda-forge/linux-64::python-{python.FullVersion}-{PythonInstaller.Build}");
            requested.Add($"python={python.Version}");
        }

        var conda = InstallCondaPackage(root, pkgs, python);
        var zlib = CondaPackageInstaller.Install(
            Path.Combine(FixturePaths.RealPackages, "linux-64", "zlib-1.2.11-h7b6447c_3.conda"), root, pkgs);
        historySpecs.Add(conda.HistorySpec);
        historySpecs.Add(zlib.HistorySpec);
        requested.Add("conda");
        CondaHistory.Write(root, condaExecutable, historySpecs, requested);

        var envs = Path.Combine(root, "envs");
        Directory.CreateDirectory(envs);
        File.WriteAllText(Path.Combine(envs, ".conda_envs_dir_test"), "");
        var a = CondaPrefixBuilder.Build(Path.Combine(envs, "a"), new CondaPrefixOptions
        {
            WithRealPackages = true,
            WithElf = true,
            PkgsCacheDirectory = pkgs,
            CondaExecutable = condaExecutable,
        });
        var b = CondaPrefixBuilder.Build(Path.Combine(envs, "b"), new CondaPrefixOptions
        {
            WithRealPackages = true,
            PkgsCacheDirectory = pkgs,
            CondaExecutable = condaExecutable,
        });

        return new BuiltWholeInstall(root)
        {
            Python = python,
            BasePackages = [conda, zlib],
            Envs = new Dictionary<string, BuiltPrefix>(StringComparer.Ordinal) { ["a"] = a, ["b"] = b },
        };
    }

    // A stand-in for the real conda package: same entry points and the same placeholder handling
    // (text placeholders replaced by the root at install time), without conda's python code.
    private static InstalledPackage InstallCondaPackage(string root, string pkgs, InstalledPython? python)
    {
        const string Placeholder = "/opt/anaconda1anaconda2anaconda3";
        var work = Directory.CreateTempSubdirectory("envship-conda-pkg-").FullName;
        try
        {
            var payload = Path.Combine(work, "payload");
            WriteExecutable(Path.Combine(payload, "condabin", "conda"), $$"""
                #!/bin/sh
                _CONDA_ROOT="{{Placeholder}}"
                \. "$_CONDA_ROOT/etc/profile.d/conda.sh" || return $?
                conda "$@"

                """);
            WriteExecutable(Path.Combine(payload, "bin", "conda"), python is null
                ? $$"""
                    #!/bin/sh
                    # conda {{CondaVersion}} stand-in for the install at {{Placeholder}} (its base has no python)
                    echo "conda {{CondaVersion}}"

                    """
                : $$"""
                    #!{{Placeholder}}/{{python.ExecutableRelativePath}}
                    # -*- coding: utf-8 -*-
                    import sys

                    if __name__ == "__main__":
                        print("conda {{CondaVersion}}")
                        sys.exit(0)

                    """);
            var profile = Path.Combine(payload, "etc", "profile.d", "conda.sh");
            FileOps.EnsureParent(profile);
            File.WriteAllText(profile, $$"""
                export CONDA_EXE='{{Placeholder}}/bin/conda'
                export _CE_M=''
                export _CE_CONDA=''
                export CONDA_PYTHON_EXE='{{Placeholder}}/bin/python'
                _CONDA_ROOT='{{Placeholder}}'

                conda() {
                    "$CONDA_EXE" $_CE_M $_CE_CONDA "$@"
                }

                """);

            var pythonTag = python is null ? "3.11" : python.Version;
            var spec = new CondaPackageSpec("conda", CondaVersion, CondaBuild)
            {
                Depends = [$"python >={pythonTag},<{NextMinor(pythonTag)}.0a0", "conda-package-handling >=2.2.0"],
                License = "BSD-3-Clause",
                Placeholder = Placeholder,
            };
            var packageFile = CondaPackageWriter.Write(payload, spec, Path.Combine(work, "dist"));
            return CondaPackageInstaller.Install(packageFile, root, pkgs, new CondaInstallOptions { RequestedSpec = "conda" });
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string NextMinor(string version)
    {
        var parts = version.Split('.');
        return $"{parts[0]}.{int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) + 1}";
    }

    private static void WriteExecutable(string path, string content)
    {
        FileOps.EnsureParent(path);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }
}
