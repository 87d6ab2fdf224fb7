using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;

namespace Envship.Core.Deploy;

/// <summary>Applies a <see cref="PermissionPolicy"/> to paths as they are created, and resolves <c>--group</c>.</summary>
public static class SharedInstall
{
    /// <summary>Builds the policy for the deploy options, refusing an unknown group before anything is written.</summary>
    public static PermissionPolicy PolicyFor(string? group, bool shared, bool preserveSpecialBits)
    {
        var groupId = PermissionPolicy.NoGroup;
        if (group is not null)
        {
            groupId = UnixOwnership.FindGroupId(group) ?? throw new EnvshipException(
                ExitCode.Usage,
                $"--group {group}: no such group on this machine (getgrnam found nothing); nothing was written. Create it with 'groupadd {group}', or name an existing group (see 'getent group').");
        }

        return new PermissionPolicy { GroupId = groupId, Shared = shared, PreserveSpecialBits = preserveSpecialBits };
    }

    /// <summary>lchown with the owner unchanged. It runs before chmod because chown clears setuid and setgid bits.</summary>
    public static void SetGroup(string path, PermissionPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.ChangesGroup)
        {
            UnixOwnership.SetGroup(path, policy.GroupId);
        }
    }

    /// <summary>Gives files envship adds itself (activation scripts, the receipt) the same group and group bits.</summary>
    public static void Adopt(string prefix, IEnumerable<string> relativePaths, PermissionPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(relativePaths);
        ArgumentNullException.ThrowIfNull(policy);
        foreach (var relative in relativePaths)
        {
            var path = Path.Combine(prefix, relative);
            var status = UnixFileSystem.Stat(path);
            SetGroup(path, policy);
            var type = status.Kind == UnixFileKind.Directory ? EntryType.Directory : EntryType.File;
            var entry = new ManifestEntry { Path = relative, Type = type, Mode = status.Mode, MtimeNs = status.ModifiedNanoseconds };
            File.SetUnixFileMode(path, (UnixFileMode)policy.Decide(entry).Mode);
        }
    }
}
