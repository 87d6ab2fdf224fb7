namespace Envship.Testing;

/// <summary>The dynamic-section facts tests care about, as <c>readelf -d</c> reports them.</summary>
public sealed record ElfDynamicInfo(IReadOnlyList<string> Needed, string? RunPath, string? RPath, string? SoName);

/// <summary>Thin wrappers over binutils' readelf and patchelf.</summary>
public static class ElfTools
{
    /// <summary>True if <paramref name="path"/> is a regular file starting with the ELF magic.</summary>
    public static bool IsElf(string path)
    {
        if (FileOps.IsSymlink(path) || !File.Exists(path))
            return false;
        Span<byte> magic = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        return stream.Read(magic) == 4 && magic.SequenceEqual("\u007fELF"u8);
    }

    /// <summary>Parses <c>readelf -d</c> of <paramref name="path"/>.</summary>
    public static ElfDynamicInfo ReadDynamic(string path)
    {
        var output = ProcessRunner.RunChecked("readelf", ["-d", "-W", path]).StdOut;
        var needed = new List<string>();
        string? runPath = null, rPath = null, soName = null;
        foreach (var line in output.Split('\n'))
        {
            if (line.Contains("(NEEDED)", StringComparison.Ordinal))
                needed.Add(Bracketed(line));
            else if (line.Contains("(RUNPATH)", StringComparison.Ordinal))
                runPath = Bracketed(line);
            else if (line.Contains("(RPATH)", StringComparison.Ordinal))
                rPath = Bracketed(line);
            else if (line.Contains("(SONAME)", StringComparison.Ordinal))
                soName = Bracketed(line);
        }

        return new ElfDynamicInfo(needed, runPath, rPath, soName);
    }

    /// <summary>Sets DT_RUNPATH (patchelf keeps DT_RPATH if that is what the file already has).</summary>
    public static void SetRunPath(string path, string runPath) =>
        ProcessRunner.RunChecked("patchelf", ["--set-rpath", runPath, path]);

    private static string Bracketed(string line)
    {
        var open = line.IndexOf('[', StringComparison.Ordinal);
        var close = line.LastIndexOf(']');
        return open >= 0 && close > open ? line[(open + 1)..close] : "";
    }
}
