using Envship.Cli.Tests.Fixtures;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core;

namespace Envship.Cli.Tests;

/// <summary>Acceptance 6: a flipped byte or a truncated archive fails, names the file, and leaves no destination.</summary>
public sealed class DamagedArchiveTests(SmallEnvironment env) : IClassFixture<SmallEnvironment>
{
    [Fact]
    public void A_flipped_byte_in_a_files_data_names_that_file()
    {
        var archive = env.Pack("plain.tar", "--format", "tar");
        var bytes = File.ReadAllBytes(archive);
        var manifest = ArchiveReader.ReadManifestOnly(archive);
        var victim = manifest.Entries.Where(e => e.Type == EntryType.File && e.Size > 100).OrderBy(e => e.Path, StringComparer.Ordinal).First();
        var content = File.ReadAllBytes(Path.Combine(env.Prefix, victim.Path));
        var offset = bytes.AsSpan().IndexOf(content.AsSpan(0, 64));
        Assert.True(offset > 0);
        bytes[offset + 50] ^= 0x01;
        var damaged = env.Work.Combine("flipped.tar");
        File.WriteAllBytes(damaged, bytes);

        AssertRefused(damaged, victim.Path);
    }

    [Fact]
    public void A_flipped_byte_in_compressed_data_is_refused()
    {
        var archive = env.Pack("flip.tar.zst");
        var bytes = File.ReadAllBytes(archive);
        bytes[bytes.Length * 2 / 3] ^= 0x40;
        var damaged = env.Work.Combine("flipped.tar.zst");
        File.WriteAllBytes(damaged, bytes);

        AssertRefused(damaged, expectedPath: null);
    }

    [Theory]
    [InlineData("tar.zst")]
    [InlineData("tar.gz")]
    [InlineData("tar")]
    public void A_truncated_archive_is_refused(string format)
    {
        var archive = env.Pack("whole." + format, "--format", format);
        var bytes = File.ReadAllBytes(archive);
        var truncated = env.Work.Combine("truncated." + format);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length * 3 / 4)]);

        AssertRefused(truncated, expectedPath: null);
    }

    private void AssertRefused(string archive, string? expectedPath)
    {
        var parent = env.Work.CreateDirectory("damaged-" + Path.GetFileName(archive));
        var destination = Path.Combine(parent, "env");

        var result = CliRunner.Run("deploy", archive, "--prefix", destination);

        Assert.Equal((int)ExitCode.DamagedArchive, result.ExitCode);
        Assert.Contains(archive, result.StdErr, StringComparison.Ordinal);
        Assert.Matches("'[^']+'", result.StdErr);
        if (expectedPath is not null)
        {
            Assert.Contains($"'{expectedPath}'", result.StdErr, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(destination), "the destination must not exist after a refused deploy");
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }
}
