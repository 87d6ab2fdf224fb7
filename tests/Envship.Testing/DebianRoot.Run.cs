namespace Envship.Testing;

public sealed partial class DebianRoot
{
    /// <summary>Debian's default PATH for root.</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>What a machine with "nothing installed" lacks; <see cref="RunWithMinimalPath"/> refuses a PATH that has them.</summary>
    public static readonly IReadOnlyList<string> AbsentFromMinimalPath = ["python3", "python", "tar", "zstd", "gzip", "dotnet"];

    private static readonly TimeSpan _commandTimeout = TimeSpan.FromMinutes(5);

    // Runs in a private mount namespace (unshare), so /proc and /dev are mounted into the root for this
    // command only: the kernel drops both mounts when the namespace's last process exits, even when a test
    // is killed, and the cached root never keeps a mount that a later `rm -rf` could descend into.
    private const string MountAndChroot = """
        root=$1; shift
        if ! mount --rbind /proc "$root/proc" || ! mount --rbind /dev "$root/dev"; then
          echo "envship-debian-root: cannot mount /proc and /dev into $root" >&2
          exit 125
        fi
        exec chroot "$root" "$@"
        """;

    /// <summary>Creates an empty per-test directory under the root's <c>/tmp</c>, deleted on dispose.</summary>
    public RootWorkspace CreateWorkspace() => new(this);

    /// <summary>
    /// Runs <paramref name="command"/> inside the root with the root's libraries, as root, in a clean
    /// environment (<see cref="DefaultPath"/>, <c>HOME=/root</c>, <c>LC_ALL=C.UTF-8</c>) plus <paramref name="environment"/>.
    /// </summary>
    public ProcessResult Run(
        IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null) =>
        RunWithPath(DefaultPath, command, environment, timeout);

    /// <summary>Like <see cref="Run"/>, but throws with both output streams when the exit code is not zero.</summary>
    public ProcessResult RunChecked(
        IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        var result = Run(command, environment, timeout);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{ProcessRunner.FormatCommandLine(command[0], command.Skip(1))}' in the {Suite} root exited {result.ExitCode}." +
                $"\nstderr:\n{result.StdErr}\nstdout:\n{result.StdOut}");
        }

        return result;
    }

    /// <summary>
    /// Runs <paramref name="script"/> with the root's <c>/bin/sh</c> and a PATH holding only a directory of
    /// symlinks to <c>sh</c> and the root's coreutils (<c>WORKSPACE/minimal-path</c>): what a machine with
    /// nothing installed offers. No python, tar, gzip, zstd or dotnet is reachable by name.
    /// </summary>
    public ProcessResult RunWithMinimalPath(
        RootWorkspace workspace, string script, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var directory = workspace.Combine("minimal-path");
        CreateMinimalPath(directory);
        return RunWithPath(directory, ["/bin/sh", "-c", script], environment, timeout);
    }

    /// <summary>The names coreutils installs into <c>/bin</c> and <c>/usr/bin</c> of the root, from dpkg's file list.</summary>
    public IReadOnlyList<string> CoreutilsCommands() =>
        File.ReadLines(HostPath("/var/lib/dpkg/info/coreutils.list"))
            .Where(line => line.StartsWith("/bin/", StringComparison.Ordinal) || line.StartsWith("/usr/bin/", StringComparison.Ordinal))
            .Where(line => File.Exists(HostPath(line)))
            .ToList();

    private void CreateMinimalPath(string directoryInRoot)
    {
        var onHost = HostPath(directoryInRoot);
        Directory.CreateDirectory(onHost);
        var commands = CoreutilsCommands().Append("/bin/sh").ToList();
        foreach (var command in commands)
        {
            var name = System.IO.Path.GetFileName(command);
            if (AbsentFromMinimalPath.Contains(name, StringComparer.Ordinal))
                throw new InvalidOperationException($"{command} in the {Suite} root would put '{name}' on the minimal PATH.");
            var link = System.IO.Path.Combine(onHost, name);
            if (!File.Exists(link))
                File.CreateSymbolicLink(link, command);
        }
    }

    private ProcessResult RunWithPath(
        string path, IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment, TimeSpan? timeout)
    {
        ArgumentNullException.ThrowIfNull(command);
        var args = new List<string>();
        if (!Environment.IsPrivilegedProcess)
            args.Add("--map-root-user");
        args.AddRange(["--mount", "--propagation", "private", "--", "/bin/sh", "-c", MountAndChroot, "envship-debian-root", Path]);
        args.AddRange(["/usr/bin/env", "-i", "PATH=" + path, "HOME=/root", "LC_ALL=C.UTF-8", "TMPDIR=/tmp"]);
        if (environment is not null)
            args.AddRange(environment.Select(pair => $"{pair.Key}={pair.Value}"));
        args.AddRange(command);
        return ProcessRunner.Run("unshare", args, timeout: timeout ?? _commandTimeout);
    }
}
