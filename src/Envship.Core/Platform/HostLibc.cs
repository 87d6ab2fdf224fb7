using System.Runtime.InteropServices;

namespace Envship.Core.Platform;

/// <summary>The C library of the running machine: glibc's version, or null on musl and other libcs.</summary>
public static partial class HostLibc
{
    private static readonly Lazy<string?> _glibcVersion = new(ReadGlibcVersion);

    public static string? GlibcVersion => _glibcVersion.Value;

    private static string? ReadGlibcVersion()
    {
        try
        {
            return Marshal.PtrToStringUTF8(NativeMethods.GnuGetLibcVersion());
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
        catch (DllNotFoundException)
        {
            return null;
        }
    }

    private static partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "gnu_get_libc_version")]
        internal static partial nint GnuGetLibcVersion();
    }
}
