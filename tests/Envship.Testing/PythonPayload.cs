namespace Envship.Testing;

/// <summary>Copies a host interpreter, its libpython and its standard library into a prefix.</summary>
internal static class PythonPayload
{
    // Large or GUI/test-only parts of the standard library that no fixture needs.
    private static readonly HashSet<string> _excluded = new(StringComparer.Ordinal)
    {
        "site-packages", "dist-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3/tests",
    };

    /// <summary>Copies everything and returns the prefix-relative paths written (files and symlinks).</summary>
    public static List<string> Copy(PythonHost host, string prefix)
    {
        var written = new List<string>();
        var executable = $"bin/python{host.Version}";
        FileOps.CopyFile(host.Executable, Path.Combine(prefix, executable));
        written.Add(executable);
        foreach (var alias in new[] { "bin/python3", "bin/python" })
        {
            FileOps.CreateSymlink(Path.Combine(prefix, alias), $"python{host.Version}");
            written.Add(alias);
        }

        if (host.LibPython is not null)
            written.AddRange(CopyLibPython(host.LibPython, prefix));

        var stdlibRelative = $"lib/python{host.Version}";
        CopyTree(host.StdlibDirectory, "", Path.Combine(prefix, stdlibRelative), stdlibRelative, written);
        var dynloadInside = Path.GetFullPath(host.DynloadDirectory)
            .StartsWith(Path.GetFullPath(host.StdlibDirectory) + "/", StringComparison.Ordinal);
        if (!dynloadInside && Directory.Exists(host.DynloadDirectory))
        {
            var dynloadRelative = $"{stdlibRelative}/lib-dynload";
            CopyTree(host.DynloadDirectory, "", Path.Combine(prefix, dynloadRelative), dynloadRelative, written);
        }

        Directory.CreateDirectory(Path.Combine(prefix, stdlibRelative, "site-packages"));
        return written;
    }

    /// <summary>
    /// Points RUNPATH at <c>PREFIX/lib</c>: always on the executable, and on libpython and extension
    /// modules that already carry one, so the copy resembles a python built for this prefix.
    /// </summary>
    public static void RetargetRunPaths(string prefix, string version, IEnumerable<string> written)
    {
        var libDir = Path.Combine(prefix, "lib");
        ElfTools.SetRunPath(Path.Combine(prefix, $"bin/python{version}"), libDir);
        foreach (var relative in written)
        {
            var isCandidate = relative.StartsWith("lib/libpython", StringComparison.Ordinal) ||
                relative.StartsWith($"lib/python{version}/lib-dynload/", StringComparison.Ordinal);
            var full = Path.Combine(prefix, relative);
            if (!isCandidate || !ElfTools.IsElf(full))
                continue;
            var dynamic = ElfTools.ReadDynamic(full);
            if (dynamic.RunPath is not null || dynamic.RPath is not null)
                ElfTools.SetRunPath(full, libDir);
        }
    }

    private static List<string> CopyLibPython(string libPython, string prefix)
    {
        var written = new List<string>();
        var real = File.ResolveLinkTarget(libPython, returnFinalTarget: true)?.FullName ?? libPython;
        var realName = Path.GetFileName(real);
        FileOps.CopyFile(real, Path.Combine(prefix, "lib", realName));
        written.Add($"lib/{realName}");

        // Keep the development and soname links (libpython3.11.so -> libpython3.11.so.1.0) that sit beside it.
        var sourceDir = Path.GetDirectoryName(libPython)!;
        var stem = realName[..realName.IndexOf(".so", StringComparison.Ordinal)];
        foreach (var candidate in Directory.EnumerateFiles(sourceDir, stem + ".so*").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(candidate);
            if (name == realName || FileOps.ReadSymlink(candidate) is null)
                continue;
            var final = File.ResolveLinkTarget(candidate, returnFinalTarget: true)?.FullName;
            if (final is null || Path.GetFullPath(final) != Path.GetFullPath(real))
                continue;
            FileOps.CreateSymlink(Path.Combine(prefix, "lib", name), realName);
            written.Add($"lib/{name}");
        }

        if (Path.GetFileName(libPython) != realName && !written.Contains($"lib/{Path.GetFileName(libPython)}"))
        {
            FileOps.CreateSymlink(Path.Combine(prefix, "lib", Path.GetFileName(libPython)), realName);
            written.Add($"lib/{Path.GetFileName(libPython)}");
        }

        return written;
    }

    private static void CopyTree(string sourceRoot, string relative, string destinationRoot, string prefixRelative, List<string> written)
    {
        var source = new DirectoryInfo(Path.Combine(sourceRoot, relative));
        foreach (var entry in source.EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var childRelative = relative.Length == 0 ? entry.Name : $"{relative}/{entry.Name}";
            if (_excluded.Contains(childRelative))
                continue;
            var destination = Path.Combine(destinationRoot, childRelative);
            if (entry.LinkTarget is { } target)
            {
                FileOps.CreateSymlink(destination, target);
                written.Add($"{prefixRelative}/{childRelative}");
            }
            else if (entry is DirectoryInfo)
            {
                Directory.CreateDirectory(destination);
                CopyTree(sourceRoot, childRelative, destinationRoot, prefixRelative, written);
            }
            else
            {
                FileOps.CopyFile(entry.FullName, destination);
                written.Add($"{prefixRelative}/{childRelative}");
            }
        }
    }
}
