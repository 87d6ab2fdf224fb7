using System.ComponentModel;
using System.Diagnostics;

namespace Envship.Testing;

/// <summary>
/// Starts a program the test has just written. While tests run in parallel, another thread's fork can
/// briefly hold a copy of the file's write descriptor, and exec then fails with ETXTBSY; a short retry
/// is the standard remedy.
/// </summary>
public static class FreshExecutable
{
    private const int TextFileBusy = 26;
    private const int Attempts = 20;

    public static Process Start(ProcessStartInfo startInfo)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Process.Start(startInfo) ?? throw new InvalidOperationException($"{startInfo.FileName}: no process was started.");
            }
            catch (Win32Exception ex) when (ex.NativeErrorCode == TextFileBusy && attempt < Attempts)
            {
                Thread.Sleep(25 * attempt);
            }
        }
    }

    /// <summary>True when a child's own exec of a just-written file hit the same race.</summary>
    public static bool HitTextFileBusy(string stderr) => stderr.Contains("Text file busy", StringComparison.Ordinal);
}
