namespace Envship.Core.Deploy;

/// <summary>Turns an I/O failure while writing the tree into the user's error; a full disk says so plainly, whatever .NET's wording.</summary>
internal static class WriteFailure
{
    private const int NoSpaceErrno = 28;

    public static EnvshipException For(string destination, IOException ex) =>
        IsDiskFull(ex)
            ? new EnvshipException(ExitCode.IoFailure, $"{destination}: No space left on device while writing the environment ({ex.Message}); nothing was left behind. Free space on that filesystem, or deploy elsewhere.", ex)
            : new EnvshipException(ExitCode.IoFailure, $"{destination}: cannot write the environment ({ex.Message}). Free space or fix permissions and deploy again; nothing was left behind.", ex);

    // .NET reports a failed preallocation as "the disk was full" and a failed write with strerror's text.
    private static bool IsDiskFull(IOException ex) =>
        ex.HResult == NoSpaceErrno
        || ex.Message.Contains("disk was full", StringComparison.OrdinalIgnoreCase)
        || ex.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
}
