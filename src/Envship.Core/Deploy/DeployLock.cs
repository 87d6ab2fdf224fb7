using System.Globalization;
using Envship.Core.Platform;

namespace Envship.Core.Deploy;

/// <summary>
/// An exclusive OS lock (flock, through <see cref="FileShare.None"/>) on <c>.NAME.envship/lock</c>, held for a whole
/// deploy or rollback. The kernel drops it when the holder dies, so a killed deploy never leaves a stale lock.
/// </summary>
public sealed class DeployLock : IDisposable
{
    private static readonly TimeSpan _retryInterval = TimeSpan.FromMilliseconds(100);
    private readonly DeployLayout _layout;
    private readonly FileStream _stream;

    private DeployLock(DeployLayout layout, FileStream stream)
    {
        _layout = layout;
        _stream = stream;
    }

    public static DeployLock Acquire(DeployLayout layout, bool wait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (held, busy) = TryAcquire(layout);
            if (held is not null)
            {
                return held;
            }

            if (!busy)
            {
                continue;
            }

            if (!wait)
            {
                var owner = ReadOwner(layout);
                throw new EnvshipException(
                    ExitCode.Locked,
                    $"{layout.LockFile}: another envship deploy or rollback to '{layout.Destination}' is running{(owner is null ? string.Empty : $" (PID {owner})")} and holds this lock. Retry when it has finished, or pass --wait to wait for it.");
            }

            cancellationToken.WaitHandle.WaitOne(_retryInterval);
        }
    }

    /// <summary>Removes the lock file and an otherwise empty state directory while still holding the lock, so a fresh deploy leaves nothing beside DEST.</summary>
    public void Dispose()
    {
        try
        {
            File.Delete(_layout.OwnerFile);
            if (Directory.EnumerateFileSystemEntries(_layout.StateDirectory).All(e => e == _layout.LockFile))
            {
                File.Delete(_layout.LockFile);
                Directory.Delete(_layout.StateDirectory);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Tidying only: a lock file left behind is harmless and reused by the next deploy.
        }
        finally
        {
            _stream.Dispose();
        }
    }

    private static (DeployLock? Held, bool Busy) TryAcquire(DeployLayout layout)
    {
        Directory.CreateDirectory(layout.StateDirectory);
        FileStream stream;
        try
        {
            stream = new FileStream(layout.LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return (null, false);
        }
        catch (IOException) when (File.Exists(layout.LockFile))
        {
            return (null, true);
        }

        // The previous holder may have deleted the file we opened: a lock on an unlinked inode guards nothing.
        if (UnixFileSystem.TryStat(layout.LockFile)?.Inode != UnixFileSystem.InodeOf(stream.SafeFileHandle))
        {
            stream.Dispose();
            return (null, false);
        }

        File.WriteAllText(layout.OwnerFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        return (new DeployLock(layout, stream), false);
    }

    private static string? ReadOwner(DeployLayout layout)
    {
        try
        {
            var text = File.ReadAllText(layout.OwnerFile).Trim();
            return text.Length > 0 && text.All(char.IsAsciiDigit) ? text : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
