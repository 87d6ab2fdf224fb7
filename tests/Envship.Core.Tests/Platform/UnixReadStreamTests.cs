using Envship.Core.Platform;
using Envship.Testing;

namespace Envship.Core.Tests.Platform;

public sealed class UnixReadStreamTests
{
    [Fact]
    public void Reads_a_file_front_to_back_and_then_reports_its_end()
    {
        using var work = new TempDirectory();
        var content = Enumerable.Range(0, 300_000).Select(i => (byte)(i % 253)).ToArray();
        var path = Path.Combine(work.Path, "data.bin");
        File.WriteAllBytes(path, content);

        using var stream = UnixReadStream.Open(path);
        using var copy = new MemoryStream();
        stream.CopyTo(copy, 4096);

        Assert.Equal(content, copy.ToArray());
        Assert.Equal(0, stream.Read(new byte[16]));
    }

    [Fact]
    public void A_missing_file_names_itself()
    {
        using var work = new TempDirectory();
        var path = Path.Combine(work.Path, "gone.py");

        var error = Assert.Throws<FileNotFoundException>(() => UnixReadStream.Open(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_swapped_for_a_symlink_is_not_followed()
    {
        using var work = new TempDirectory();
        var secret = work.WriteFile("outside/secret.txt", "not for the archive");
        var path = Path.Combine(work.Path, "lib.so");
        File.CreateSymbolicLink(path, secret);

        var error = Assert.Throws<IOException>(() => UnixReadStream.Open(path));
        Assert.Contains("replaced by a symlink", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_file_is_refused_as_such()
    {
        using var work = new TempDirectory();
        var path = work.WriteFile("locked.txt", "x");
        File.SetUnixFileMode(path, UnixFileMode.None);

        // Root reads anything, so the refusal is checked as another user would meet it only when not root.
        if (Environment.UserName == "root")
        {
            using var stream = UnixReadStream.Open(path);
            Assert.Equal((byte)'x', (byte)stream.ReadByte());
            return;
        }

        Assert.Throws<UnauthorizedAccessException>(() => UnixReadStream.Open(path));
    }
}
