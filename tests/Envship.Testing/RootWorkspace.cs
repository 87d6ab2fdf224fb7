namespace Envship.Testing;

/// <summary>
/// A per-test directory <c>/tmp/envship-test-XXXX</c> inside a <see cref="DebianRoot"/>, deleted on dispose,
/// so nothing a test writes survives into the cached root.
/// </summary>
public sealed class RootWorkspace : IDisposable
{
    private readonly DebianRoot _root;

    internal RootWorkspace(DebianRoot root)
    {
        _root = root;
        while (true)
        {
            var name = "envship-test-" + System.IO.Path.GetRandomFileName().Replace(".", "", StringComparison.Ordinal);
            Path = "/tmp/" + name;
            // The same path must also be free on the host, for BuildOnHost.
            if (Directory.Exists(OnHost) || Directory.Exists(Path))
                continue;
            Directory.CreateDirectory(OnHost);
            break;
        }
    }

    /// <summary>The directory's path as commands inside the root see it.</summary>
    public string Path { get; }

    /// <summary>The directory's path on the host.</summary>
    public string OnHost => _root.HostPath(Path);

    /// <summary>A path inside the directory, as seen inside the root (not created).</summary>
    public string Combine(params string[] parts) => string.Join('/', [Path, .. parts]);

    /// <summary>The host path of <paramref name="pathInRoot"/>.</summary>
    public string HostPath(string pathInRoot) => _root.HostPath(pathInRoot);

    /// <summary>
    /// Runs <paramref name="build"/> on the host at the very path that <paramref name="relativePath"/> has inside
    /// the root (<c>/tmp/envship-test-XXXX/…</c>), then copies the result into the root with <c>cp -a</c>. Whatever
    /// the builder embeds (shebangs, RUNPATHs, conda-meta paths) is then right inside the root, and the builder
    /// may run tools that exist only on the host (patchelf, gcc).
    /// </summary>
    public T BuildOnHost<T>(string relativePath, Func<string, T> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var target = Combine(relativePath);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            var result = build(target);
            var destination = HostPath(target);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
            ProcessRunner.RunChecked("cp", ["-a", "--", target, destination]);
            return result;
        }
        finally
        {
            DeleteTree(Path);
        }
    }

    public void Dispose()
    {
        DeleteTree(OnHost);
        DeleteTree(Path);
    }

    // --one-file-system: never descend into a mount, should one be inside the root.
    private static void DeleteTree(string directory)
    {
        if (Directory.Exists(directory))
            ProcessRunner.Run("rm", ["-rf", "--one-file-system", "--", directory]);
    }
}
