using System.Globalization;
using System.Runtime.InteropServices;

namespace Envship.Core.Platform;

/// <summary>Group lookup and lchown, for shared installs whose tree belongs to one group.</summary>
public static partial class UnixOwnership
{
    private const int Unchanged = -1;

    /// <summary>The group id of a group name (through NSS, so LDAP groups work too) or of a numeric id; null when unknown.</summary>
    public static int? FindGroupId(string nameOrId)
    {
        ArgumentNullException.ThrowIfNull(nameOrId);
        if (nameOrId.Length > 0 && nameOrId.All(char.IsAsciiDigit) && int.TryParse(nameOrId, NumberStyles.None, CultureInfo.InvariantCulture, out var numeric))
        {
            return numeric;
        }

        var group = NativeMethods.GetGroupByName(nameOrId);
        if (group == 0)
        {
            return null;
        }

        // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem; }
        return Marshal.ReadInt32(group, 2 * IntPtr.Size);
    }

    /// <summary>Changes the group of a path without following a final symlink; the owner stays.</summary>
    public static void SetGroup(string path, int groupId)
    {
        if (NativeMethods.Lchown(path, Unchanged, groupId) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"Cannot set the group of '{path}' to {groupId}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    private static partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "getgrnam", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint GetGroupByName(string name);

        [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Lchown(string path, int owner, int group);
    }
}
