using System.Security.Cryptography;
using System.Text;

namespace Envship.Testing;

/// <summary>
/// A Debian root file system made by <c>debootstrap</c>, cached outside the repository between test runs,
/// in which tests run commands with that distribution's own glibc (<c>chroot</c> in a private mount
/// namespace). Building one takes about 85 s and 215 MB; later runs reuse it.
/// </summary>
public sealed partial class DebianRoot
{
    /// <summary>Variable that overrides where roots are cached.</summary>
    public const string CacheVariable = "ENVSHIP_TEST_ROOTS";

    private const string Mirror = "http://deb.debian.org/debian";
    private const string Variant = "minbase";

    // Bump when the way a root is built or trimmed changes, so an old cache is not taken for a new one.
    private const int RecipeVersion = 1;

    private static readonly TimeSpan _buildTimeout = TimeSpan.FromMinutes(20);
    private static readonly (string Suite, string Glibc, string[] Includes) _bullseyeRecipe = ("bullseye", "2.31", ["python3"]);
    private static readonly Lazy<DebianRoot> _bullseye = new(() => Ensure(_bullseyeRecipe.Suite, _bullseyeRecipe.Glibc, _bullseyeRecipe.Includes));

    private DebianRoot(string path, string suite, string glibcVersion)
    {
        Path = path;
        Suite = suite;
        GlibcVersion = glibcVersion;
    }

    /// <summary>
    /// Debian 11 (bullseye, glibc 2.31) with its <c>python3</c> (3.9, with the full standard library, which
    /// <c>python3-minimal</c> lacks: no json, no decimal). Ubuntu 20.04 has the same glibc.
    /// </summary>
    public static DebianRoot Bullseye => _bullseye.Value;

    /// <summary>The root directory on the host.</summary>
    public string Path { get; }

    /// <summary>Debian's code name, e.g. <c>bullseye</c>.</summary>
    public string Suite { get; }

    /// <summary>The glibc version the suite ships, e.g. <c>2.31</c>.</summary>
    public string GlibcVersion { get; }

    /// <summary>
    /// The directory holding cached roots: <c>$ENVSHIP_TEST_ROOTS</c>, else
    /// <c>${XDG_CACHE_HOME:-$HOME/.cache}/envship-tests/roots</c>.
    /// </summary>
    public static string CacheDirectory
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(CacheVariable);
            if (!string.IsNullOrEmpty(configured))
                return System.IO.Path.GetFullPath(configured);
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var cacheHome = string.IsNullOrEmpty(xdg)
                ? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
                : xdg;
            return System.IO.Path.Combine(cacheHome, "envship-tests", "roots");
        }
    }

    /// <summary>
    /// Why the bullseye root cannot be used here, or null when it can: building it needs root (debootstrap
    /// creates device nodes and chroots); entering a cached one as another user needs a user namespace in
    /// which /proc can be bind-mounted.
    /// </summary>
    public static string? UnavailableReason()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64)
            return "Debian test roots are built for x86-64 Linux only.";
        if (Environment.IsPrivilegedProcess)
            return null;
        var (suite, glibc, includes) = _bullseyeRecipe;
        var (path, _) = CachedPath(suite, includes);
        if (!Directory.Exists(path))
            return $"Not running as root: debootstrap cannot build the Debian root {path}. Run the tests once as root to cache it.";
        var probe = new DebianRoot(path, suite, glibc).Run(["/bin/true"]);
        return probe.ExitCode == 0
            ? null
            : $"Not running as root, and entering {path} through a user namespace failed ({probe.StdErr.Trim()}).";
    }

    /// <summary>Maps an absolute path inside the root to the host path.</summary>
    public string HostPath(string pathInRoot)
    {
        if (!pathInRoot.StartsWith('/'))
            throw new ArgumentException($"'{pathInRoot}' is not an absolute path inside the root.", nameof(pathInRoot));
        return Path + pathInRoot;
    }

    /// <summary>
    /// Returns the cached root for <paramref name="suite"/> with <paramref name="includes"/>, building it first
    /// when absent. The build goes to a temporary directory beside the cache and is renamed into place only
    /// when complete, under a lock file, so a killed build or two test processes never leave a half root in use.
    /// </summary>
    private static DebianRoot Ensure(string suite, string glibcVersion, IReadOnlyList<string> includes)
    {
        var (final, recipe) = CachedPath(suite, includes);
        if (!Directory.Exists(final))
        {
            Directory.CreateDirectory(CacheDirectory);
            using var buildLock = AcquireLock(final + ".lock");
            if (!Directory.Exists(final))
                Build(final, suite, includes, recipe);
        }

        var root = new DebianRoot(final, suite, glibcVersion);
        foreach (var expected in new[] { "/usr/bin/python3", "/bin/sh", "/usr/bin/env", "/var/lib/dpkg/info/coreutils.list" })
        {
            if (!File.Exists(root.HostPath(expected)))
                throw new InvalidOperationException($"The cached Debian root {final} has no {expected}: it is damaged. Delete that directory; the next test run rebuilds it.");
        }

        return root;
    }

    // The directory name carries a hash of how the root is made, so changing the recipe builds a new one.
    private static (string Path, string Recipe) CachedPath(string suite, IReadOnlyList<string> includes)
    {
        var recipe = $"debootstrap --variant={Variant} --include={string.Join(',', includes)} {suite} amd64 (recipe {RecipeVersion})";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(recipe)))[..12];
        return (System.IO.Path.Combine(CacheDirectory, $"{suite}-{Variant}-{hash}"), recipe);
    }

    private static void Build(string final, string suite, IReadOnlyList<string> includes, string recipe)
    {
        // Partial builds of killed runs: only this process holds the lock, so nobody is writing to them.
        foreach (var stale in Directory.EnumerateDirectories(System.IO.Path.GetDirectoryName(final)!, System.IO.Path.GetFileName(final) + ".partial-*"))
            DeleteTree(stale);

        var partial = $"{final}.partial-{Environment.ProcessId}";
        Directory.CreateDirectory(partial);
        // debootstrap mounts /proc, /sys and /dev into the target while packages configure; in a private
        // mount namespace those mounts die with it, even when the run is killed.
        var result = ProcessRunner.Run(
            "unshare",
            [
                "--mount", "--propagation", "private", "--",
                "debootstrap", $"--variant={Variant}", $"--include={string.Join(',', includes)}", "--arch=amd64",
                suite, partial, Mirror,
            ],
            timeout: _buildTimeout);
        if (result.ExitCode != 0)
        {
            var log = System.IO.Path.Combine(partial, "debootstrap", "debootstrap.log");
            var tail = File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(30)) : "";
            DeleteTree(partial);
            throw new InvalidOperationException(
                $"debootstrap {suite} into {partial} failed ({result.ExitCode}); it needs root, debootstrap (scripts/test.sh installs it) " +
                $"and {Mirror} reachable.\n{result.StdErr}\n{tail}");
        }

        // The downloaded .debs (about 40 MB) are not needed once installed.
        foreach (var deb in Directory.EnumerateFiles(System.IO.Path.Combine(partial, "var", "cache", "apt", "archives"), "*.deb"))
            File.Delete(deb);
        File.WriteAllText(System.IO.Path.Combine(partial, "etc", "envship-test-root"), recipe + "\n");
        Directory.Move(partial, final);
    }

    private static FileStream AcquireLock(string lockPath)
    {
        // FileShare.None takes an exclusive flock(2) on Linux: released by the kernel if this process dies.
        var deadline = DateTime.UtcNow + _buildTimeout;
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(TimeSpan.FromSeconds(1));
            }
        }
    }

    // --one-file-system: never follow a mount that a killed process may have left inside a partial root.
    private static void DeleteTree(string directory) =>
        ProcessRunner.RunChecked("rm", ["-rf", "--one-file-system", "--", directory]);
}
