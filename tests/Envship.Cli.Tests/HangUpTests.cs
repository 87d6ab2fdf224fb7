using System.Diagnostics;
using Envship.Cli.Tests.Fixtures;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// A dropped SSH session: the terminal the progress bar draws on disappears, every write to it fails
/// with EIO, and the kernel sends SIGHUP. The pack must clean up as it does for Ctrl-C; before, the
/// bar's failed redraw killed the process and left the temporary archive behind.
/// </summary>
public sealed class HangUpTests(TinyEnvironment env) : IClassFixture<TinyEnvironment>
{
    [Fact]
    public void A_pack_whose_terminal_hangs_up_leaves_nothing_behind()
    {
        var prefix = env.Work.Combine("hang-up-env");
        Directory.CreateDirectory(Path.Combine(prefix, "conda-meta"));
        File.WriteAllText(Path.Combine(prefix, "conda-meta", "history"), "");
        var blob = new byte[64 << 20];
        new Random(7).NextBytes(blob);
        for (var i = 0; i < 6; i++)
        {
            File.WriteAllBytes(Path.Combine(prefix, $"blob-{i}.bin"), blob);
        }

        var output = env.Work.CreateDirectory("hang-up-out");
        var assembly = Path.Combine(AppContext.BaseDirectory, "envship.dll");

        // script(1) gives the pack a terminal of its own; exec makes the pack the session leader, so
        // the kernel hangs it up when the terminal's other end closes, as sshd's does.
        var command = $"exec dotnet '{assembly}' pack -p '{prefix}' -o '{Path.Combine(output, "big.tar.zst")}' --compress-level 19 -j 1";
        var start = new ProcessStartInfo("script", ["-qc", command, "/dev/null"]) { RedirectStandardOutput = true, RedirectStandardInput = true };
        start.Environment["TERM"] = "xterm";
        using var terminal = Process.Start(start)!;
        var temporary = WaitFor(() => Directory.EnumerateFiles(output, "*.envship-tmp-*").FirstOrDefault(f => !f.EndsWith("-entries", StringComparison.Ordinal)));
        var pack = temporary[(temporary.LastIndexOf('-') + 1)..];

        terminal.Kill();

        // The pack is not this process's child: it has ended when /proc no longer lists it, or lists a zombie.
        WaitFor(() => Ended(pack) ? "ended" : null);
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    private static bool Ended(string pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    private static string WaitFor(Func<string?> probe)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (probe() is { } found)
            {
                return found;
            }

            Thread.Sleep(20);
        }

        throw new TimeoutException("the pack did not start writing, or did not stop, within 60 s");
    }
}
