using System.Globalization;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>A real group made with <c>groupadd</c> for one test class, removed with <c>groupdel</c>.</summary>
public sealed class TestGroup : IDisposable
{
    public TestGroup()
    {
        Name = "envship-t" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Random.Shared.Next(1000, 9999).ToString(CultureInfo.InvariantCulture);
        ProcessRunner.RunChecked("groupadd", [Name]);
        Id = int.Parse(ProcessRunner.RunChecked("getent", ["group", Name]).StdOut.Split(':')[2], CultureInfo.InvariantCulture);
    }

    public string Name { get; }
    public int Id { get; }

    public void Dispose() => ProcessRunner.Run("groupdel", [Name]);
}

/// <summary>
/// A real size-limited filesystem: a tmpfs mounted with <c>-o size=N</c> (the tests run as root), so writes past
/// the limit fail with ENOSPC from the kernel. Unmounted on dispose.
/// </summary>
public sealed class SizeLimitedFileSystem : IDisposable
{
    private readonly TempDirectory _mountPoint = new("envship-tmpfs-");

    public SizeLimitedFileSystem(string size)
    {
        ProcessRunner.RunChecked("mount", ["-t", "tmpfs", "-o", $"size={size}", "tmpfs", _mountPoint.Path]);
    }

    public string Path => _mountPoint.Path;

    /// <summary>Writes zeros into one file until the kernel says ENOSPC, so the filesystem is really full.</summary>
    public void FillUp()
    {
        var chunk = new byte[64 << 10];
        try
        {
            using var filler = new FileStream(System.IO.Path.Combine(Path, "filler"), FileMode.Create, FileAccess.Write, FileShare.None, 0);
            while (true)
            {
                filler.Write(chunk);
            }
        }
        catch (IOException)
        {
            // ENOSPC: the filesystem is full, which is the point.
        }
    }

    public void Dispose()
    {
        ProcessRunner.Run("umount", [_mountPoint.Path]);
        _mountPoint.Dispose();
    }
}

/// <summary>Every entry under a directory with its numeric group id and octal mode, as <c>find -printf</c> reports them (lstat).</summary>
public static class Ownership
{
    public sealed record Item(string Path, string Type, int Mode, int GroupId);

    public static List<Item> List(string root) =>
        [.. ProcessRunner.RunChecked("find", [root, "-printf", "%y %m %G %P\\n"]).StdOut
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 4))
            .Select(p => new Item(p.Length > 3 ? p[3] : "", p[0], Convert.ToInt32(p[1], 8), int.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture)))];
}
