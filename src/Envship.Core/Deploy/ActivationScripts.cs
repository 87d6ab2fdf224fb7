using Envship.Core.Platform;

namespace Envship.Core.Deploy;

/// <summary>
/// POSIX-sh <c>bin/activate</c> and <c>bin/deactivate</c> for environments that bring none,
/// so a deployed environment works without conda on the machine.
/// </summary>
public static class ActivationScripts
{
    public const string ActivatePath = "bin/activate";
    public const string DeactivatePath = "bin/deactivate";

    /// <summary>Writes both scripts unless the environment has its own; returns the relative paths written.</summary>
    public static IReadOnlyList<string> AddIfMissing(string stagingRoot, string destination, string environmentName)
    {
        // lstat, not File.Exists: a dangling symlink is the environment's own entry, and a symlinked
        // bin/ may point outside the prefix, where nothing must ever be written.
        var bin = UnixFileSystem.TryStat(Path.Combine(stagingRoot, "bin"));
        if (UnixFileSystem.TryStat(Path.Combine(stagingRoot, ActivatePath)) is not null
            || UnixFileSystem.TryStat(Path.Combine(stagingRoot, DeactivatePath)) is not null
            || bin is { Kind: not UnixFileKind.Directory })
        {
            return [];
        }

        Directory.CreateDirectory(Path.Combine(stagingRoot, "bin"));
        const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        WriteNew(Path.Combine(stagingRoot, ActivatePath), Activate(destination, environmentName));
        WriteNew(Path.Combine(stagingRoot, DeactivatePath), Deactivate());
        File.SetUnixFileMode(Path.Combine(stagingRoot, ActivatePath), Mode);
        File.SetUnixFileMode(Path.Combine(stagingRoot, DeactivatePath), Mode);
        return [ActivatePath, DeactivatePath];
    }

    private static void WriteNew(string path, string text)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        file.Write(System.Text.Encoding.UTF8.GetBytes(text));
    }

    internal static string Quote(string value) => "'" + value.Replace("'", @"'\''", StringComparison.Ordinal) + "'";

    private static string Activate(string destination, string name) => $$"""
        # Added by envship. Use it with:  . {{Quote(destination + "/bin/activate")}}
        if [ -n "${_ENVSHIP_ACTIVE:-}" ]; then
            . {{Quote(destination + "/bin/deactivate")}}
        fi
        _ENVSHIP_ACTIVE=1
        _ENVSHIP_OLD_PATH="${PATH:-}"
        _ENVSHIP_OLD_PS1="${PS1:-}"
        _ENVSHIP_OLD_CONDA_PREFIX="${CONDA_PREFIX:-}"
        _ENVSHIP_OLD_CONDA_DEFAULT_ENV="${CONDA_DEFAULT_ENV:-}"
        CONDA_PREFIX={{Quote(destination)}}
        CONDA_DEFAULT_ENV={{Quote(name)}}
        PATH="$CONDA_PREFIX/bin:${PATH:-}"
        PS1="({{name.Replace("\"", "", StringComparison.Ordinal)}}) ${PS1:-}"
        export CONDA_PREFIX CONDA_DEFAULT_ENV PATH
        for _envship_script in "$CONDA_PREFIX"/etc/conda/activate.d/*.sh; do
            if [ -f "$_envship_script" ]; then . "$_envship_script"; fi
        done
        unset _envship_script
        hash -r 2>/dev/null || true

        """;

    private static string Deactivate() => """
        # Added by envship. Undoes bin/activate:  . "$CONDA_PREFIX/bin/deactivate"
        if [ -z "${_ENVSHIP_ACTIVE:-}" ]; then
            return 0 2>/dev/null || exit 0
        fi
        for _envship_script in "$CONDA_PREFIX"/etc/conda/deactivate.d/*.sh; do
            if [ -f "$_envship_script" ]; then . "$_envship_script"; fi
        done
        unset _envship_script
        PATH="$_ENVSHIP_OLD_PATH"
        PS1="$_ENVSHIP_OLD_PS1"
        if [ -n "$_ENVSHIP_OLD_CONDA_PREFIX" ]; then CONDA_PREFIX="$_ENVSHIP_OLD_CONDA_PREFIX"; else unset CONDA_PREFIX; fi
        if [ -n "$_ENVSHIP_OLD_CONDA_DEFAULT_ENV" ]; then CONDA_DEFAULT_ENV="$_ENVSHIP_OLD_CONDA_DEFAULT_ENV"; else unset CONDA_DEFAULT_ENV; fi
        export PATH
        unset _ENVSHIP_ACTIVE _ENVSHIP_OLD_PATH _ENVSHIP_OLD_PS1 _ENVSHIP_OLD_CONDA_PREFIX _ENVSHIP_OLD_CONDA_DEFAULT_ENV
        hash -r 2>/dev/null || true

        """;
}
