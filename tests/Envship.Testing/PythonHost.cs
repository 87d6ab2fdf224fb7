using System.Text.Json.Nodes;

namespace Envship.Testing;

/// <summary>What the host interpreter to be copied looks like.</summary>
internal sealed record PythonHost(
    string Executable,
    string BasePrefix,
    string Version,
    string FullVersion,
    string StdlibDirectory,
    string DynloadDirectory,
    string? LibPython)
{
    private const string ProbeScript = """
        import json, sys, sysconfig
        print(json.dumps({
            "executable": sys.executable,
            "base_prefix": sys.base_prefix,
            "version": "%d.%d" % sys.version_info[:2],
            "full_version": "%d.%d.%d" % sys.version_info[:3],
            "stdlib": sysconfig.get_paths()["stdlib"],
            "dynload": sysconfig.get_config_var("DESTSHARED") or "",
            "ldlibrary": sysconfig.get_config_var("LDLIBRARY") or "",
            "libdir": sysconfig.get_config_var("LIBDIR") or "",
        }))
        """;

    /// <summary>The <c>python3</c> on PATH, else Debian's <c>/usr/bin/python3</c>.</summary>
    public static string DefaultInterpreter()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "python3");
            if (File.Exists(candidate))
                return candidate;
        }

        if (File.Exists("/usr/bin/python3"))
            return "/usr/bin/python3";
        throw new InvalidOperationException("No python3 on PATH and no /usr/bin/python3: cannot build a python environment.");
    }

    /// <summary>
    /// Runs <paramref name="interpreter"/> (which may be a pyenv shim) and asks the real interpreter
    /// where it lives; whether it is shared comes from its DT_NEEDED, because Debian's sysconfig
    /// reports a shared build for its statically linked /usr/bin/python3.
    /// </summary>
    public static PythonHost Probe(string interpreter)
    {
        var output = ProcessRunner.RunChecked(interpreter, ["-c", ProbeScript]).StdOut;
        var json = JsonNode.Parse(output)!.AsObject();
        string Get(string key) => json[key]!.GetValue<string>();

        var executable = Path.GetFullPath(File.ResolveLinkTarget(Get("executable"), returnFinalTarget: true)?.FullName ?? Get("executable"));
        var version = Get("version");
        var stdlib = Get("stdlib");
        var dynload = Get("dynload");
        if (dynload.Length == 0 || !Directory.Exists(dynload))
            dynload = Path.Combine(stdlib, "lib-dynload");

        string? libPython = null;
        var needed = ElfTools.ReadDynamic(executable).Needed
            .FirstOrDefault(n => n.StartsWith("libpython", StringComparison.Ordinal));
        if (needed is not null)
            libPython = LocateLibrary(executable, needed, Get("libdir"));

        return new PythonHost(executable, Get("base_prefix"), version, Get("full_version"), stdlib, dynload, libPython);
    }

    private static string LocateLibrary(string executable, string soName, string libDir)
    {
        var candidate = Path.Combine(libDir, soName);
        if (File.Exists(candidate))
            return Path.GetFullPath(candidate);

        // Fall back to the loader's own answer (RUNPATH, ld.so.cache, ...).
        foreach (var line in ProcessRunner.RunChecked("ldd", [executable]).StdOut.Split('\n'))
        {
            var parts = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 3 && parts[0] == soName && parts[1] == "=>" && File.Exists(parts[2]))
                return Path.GetFullPath(parts[2]);
        }

        throw new InvalidOperationException($"{executable} needs {soName}, but it is neither in {libDir} nor found by ldd.");
    }
}

/// <summary>Finds the python an environment already has (for noarch: python packages).</summary>
internal sealed record PythonInPrefix(string Version, string ExecutableRelativePath, string SitePackagesRelativePath)
{
    /// <summary>Variables removed so a copied interpreter configures itself from its own location only.</summary>
    public static Dictionary<string, string?> CleanEnvironment => new(StringComparer.Ordinal)
    {
        ["PYTHONHOME"] = null,
        ["PYTHONPATH"] = null,
        ["PYTHONSTARTUP"] = null,
        ["PYTHONUSERBASE"] = null,
        ["PYTHONEXECUTABLE"] = null,
        ["PYTHONDONTWRITEBYTECODE"] = null,
        ["PYENV_VERSION"] = null,
        ["LD_LIBRARY_PATH"] = null,
        ["LD_PRELOAD"] = null,
        ["PYTHONNOUSERSITE"] = "1",
    };

    public static PythonInPrefix? Find(string prefix)
    {
        var condaMeta = Path.Combine(prefix, "conda-meta");
        if (Directory.Exists(condaMeta))
        {
            foreach (var record in Directory.EnumerateFiles(condaMeta, "python-[0-9]*.json").Order(StringComparer.Ordinal))
            {
                var json = JsonNode.Parse(File.ReadAllText(record))!.AsObject();
                if (json["name"]?.GetValue<string>() != "python")
                    continue;
                var parts = json["version"]!.GetValue<string>().Split('.');
                var version = $"{parts[0]}.{parts[1]}";
                var sitePackages = json["python_site_packages_path"]?.GetValue<string>() ?? $"lib/python{version}/site-packages";
                var found = Candidate(prefix, version, sitePackages);
                if (found is not null)
                    return found;
            }
        }

        var lib = Path.Combine(prefix, "lib");
        if (!Directory.Exists(lib))
            return null;
        return Directory.EnumerateDirectories(lib, "python3.*")
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .Select(name => Candidate(prefix, name!["python".Length..], $"lib/{name}/site-packages"))
            .FirstOrDefault(found => found is not null);
    }

    private static PythonInPrefix? Candidate(string prefix, string version, string sitePackages)
    {
        var executable = $"bin/python{version}";
        return File.Exists(Path.Combine(prefix, executable)) && Directory.Exists(Path.Combine(prefix, sitePackages))
            ? new PythonInPrefix(version, executable, sitePackages)
            : null;
    }
}
