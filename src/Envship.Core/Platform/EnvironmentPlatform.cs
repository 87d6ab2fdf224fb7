namespace Envship.Core.Platform;

/// <summary>
/// The platform an environment was built for, read from its conda packages' subdirs rather than from the
/// machine that packs it: an aarch64 environment packed on x86-64 (a cross build, a shared filesystem)
/// is still for <c>linux-aarch64</c>.
/// </summary>
public static class EnvironmentPlatform
{
    /// <summary>
    /// The subdir most packages name (<c>noarch</c> and empty ones say nothing about the platform);
    /// the packing machine's platform when none names one or the subdir is not a conda platform name.
    /// </summary>
    public static HostPlatform Of(IEnumerable<string?> subdirs)
    {
        ArgumentNullException.ThrowIfNull(subdirs);
        var named = subdirs.Where(s => s is { Length: > 0 } and not "noarch")
            .GroupBy(s => s!, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key)
            .FirstOrDefault();
        return named is not null && FromSubdir(named) is { } platform ? platform : HostPlatform.Current;
    }

    /// <summary>
    /// <c>linux-aarch64</c> → linux/aarch64, <c>linux-64</c> → linux/x86_64, <c>osx-arm64</c> → osx/arm64;
    /// null for a name that is not <c>OS-ARCH</c>.
    /// </summary>
    public static HostPlatform? FromSubdir(string subdir)
    {
        ArgumentNullException.ThrowIfNull(subdir);
        var dash = subdir.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || dash == subdir.Length - 1 || subdir.IndexOf('-', dash + 1) >= 0)
        {
            return null;
        }

        var os = subdir[..dash];
        // conda spells 64-bit x86 "-64" and 32-bit x86 "-32"; every other CPU keeps its own name.
        var arch = subdir[(dash + 1)..] switch
        {
            "64" => "x86_64",
            "32" => "x86",
            var other => other,
        };
        return new HostPlatform(os, arch, subdir);
    }
}
