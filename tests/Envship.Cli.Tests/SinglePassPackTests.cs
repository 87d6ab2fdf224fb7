using Envship.Cli.Tests.Fixtures;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// A pack writes the members first and puts the manifest in front afterwards: in place on filesystems
/// that can insert blocks (ext4 and XFS, where the test directory lives on this machine), by copying on
/// those that cannot (tmpfs). Both give the same bytes.
/// </summary>
public sealed class SinglePassPackTests(SmallEnvironment env) : IClassFixture<SmallEnvironment>
{
    [Theory]
    [InlineData("tar.zst")]
    [InlineData("tar.gz")]
    public void Packing_onto_a_tmpfs_gives_the_bytes_of_packing_onto_ext4(string format)
    {
        using var tmpfs = new SizeLimitedFileSystem("256m");
        Assert.Equal("tmpfs", FileSystemType(tmpfs.Path));

        var onDisk = env.Pack("disk." + format, "--format", format);
        var onTmpfs = Path.Combine(tmpfs.Path, "tmpfs." + format);
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", onTmpfs, "-q", "--format", format);

        Assert.True(File.ReadAllBytes(onDisk).AsSpan().SequenceEqual(File.ReadAllBytes(onTmpfs)), $"{format}: the packs on ext4 and on tmpfs differ");
        Assert.Empty(Directory.GetFiles(tmpfs.Path, "*envship-tmp*"));
        Assert.Empty(Directory.GetFiles(env.Work.Path, "*envship-tmp*"));
        var listing = ProcessRunner.RunChecked("tar", ["-tf", onTmpfs]).StdOut.Split('\n');
        Assert.Equal(".envship/manifest.json", listing[0]);
    }

    [Fact]
    public void The_single_pass_writes_the_manifest_and_exports_a_plain_tar_pack_writes_after_a_full_scan()
    {
        var singlePass = env.Pack("single.tar.zst");
        var scanFirst = env.Pack("scan-first.tar", "--format", "tar");
        var fromSinglePass = env.Work.CreateDirectory("from-single-pass");
        var fromScanFirst = env.Work.CreateDirectory("from-scan-first");
        ProcessRunner.RunChecked("tar", ["--zstd", "-xf", singlePass, "-C", fromSinglePass, ".envship"]);
        ProcessRunner.RunChecked("tar", ["-xf", scanFirst, "-C", fromScanFirst, ".envship"]);

        var files = Directory.GetFiles(fromScanFirst, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(fromScanFirst, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Contains(".envship/manifest.json", files);
        Assert.Contains(files, f => f.EndsWith("sbom.cdx.json", StringComparison.Ordinal));
        Assert.Equal(files, Directory.GetFiles(fromSinglePass, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(fromSinglePass, f)).Order(StringComparer.Ordinal));
        foreach (var file in files)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(fromScanFirst, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(fromSinglePass, file))), $"{file} differs between the single-pass and the scan-first pack");
        }
    }

    [Fact]
    public void The_manifest_frames_end_on_a_block_boundary_so_they_can_be_inserted_in_place()
    {
        var archive = env.Pack("aligned.tar.zst");
        var bytes = File.ReadAllBytes(archive);

        // The padding is a zstd skippable frame (magic 0x184D2A50) that ends exactly where the members' frames begin.
        var padding = bytes.AsSpan(0, Math.Min(bytes.Length, 1 << 20)).IndexOf((ReadOnlySpan<byte>)[0x50, 0x2A, 0x4D, 0x18]);
        Assert.True(padding > 0, "no skippable frame after the manifest");
        var end = padding + 8 + BitConverter.ToInt32(bytes, padding + 4);
        Assert.Equal(0, end % 4096);
        Assert.True(bytes.AsSpan(end).StartsWith((ReadOnlySpan<byte>)[0x28, 0xB5, 0x2F, 0xFD]), "the members do not start with a zstd frame after the padding");
    }

    private static string FileSystemType(string path) => ProcessRunner.RunChecked("stat", ["-f", "-c", "%T", path]).StdOut.Trim();
}
