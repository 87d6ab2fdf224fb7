using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// Deploy reads an archive through a fresh tar reader every few thousand members (System.Formats.Tar
/// otherwise holds every member's stream to the end). Each new reader must start exactly at a header,
/// whatever the member before it: empty, a whole number of blocks, one byte over or under, a link.
/// </summary>
public sealed class ManyMembersTests
{
    [Theory]
    [InlineData("tar.zst")]
    [InlineData("tar")]
    public void Every_member_of_a_nine_thousand_member_archive_arrives_intact(string extension)
    {
        using var work = new TempDirectory("envship-many-");
        var prefix = work.Combine("src", "many-env");
        Directory.CreateDirectory(Path.Combine(prefix, "conda-meta"));
        File.WriteAllText(Path.Combine(prefix, "conda-meta", "history"), "");
        int[] sizes = [0, 1, 511, 512, 513, 1024, 4095, 4097, 70];
        var expected = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var random = new Random(11);
        for (var i = 0; i < 9000; i++)
        {
            var relative = $"lib/d{i / 100:00}/f{i:0000}{(i % 7 == 0 ? ".txt" : ".bin")}";
            var bytes = new byte[sizes[i % sizes.Length] + (i % 13 == 0 ? i : 0)];
            random.NextBytes(bytes);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(prefix, relative))!);
            File.WriteAllBytes(Path.Combine(prefix, relative), bytes);
            expected[relative] = bytes;
            if (i % 500 == 0)
            {
                File.CreateSymbolicLink(Path.Combine(prefix, $"lib/d{i / 100:00}/link{i}"), $"f{i:0000}.bin");
            }
        }

        var archive = work.Combine($"many.{extension}");
        CliRunner.RunOk("pack", "-p", prefix, "-o", archive, "-q", "--format", extension);
        var destination = work.Combine("dest", "many-env");
        CliRunner.RunOk("deploy", archive, "--prefix", destination, "-q");

        foreach (var (relative, bytes) in expected)
        {
            Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(destination, relative)));
        }

        Assert.Equal("f0500.bin", new FileInfo(Path.Combine(destination, "lib/d05/link500")).LinkTarget);
        CliRunner.RunOk("verify", destination);
    }
}
