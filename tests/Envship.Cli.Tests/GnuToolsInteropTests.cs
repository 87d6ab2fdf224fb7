using Envship.Cli.Tests.Fixtures;
using Envship.Core.Archive;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>Acceptance 5 and 10: stock GNU tar reads our archives, and packing is deterministic.</summary>
public sealed class GnuToolsInteropTests(PackedPythonEnvironment env) : IClassFixture<PackedPythonEnvironment>
{
    [Theory]
    [InlineData("--zstd", "env.tar.zst")]
    [InlineData("-z", "env.tar.gz")]
    public void Gnu_tar_extracts_the_archive_to_the_packed_bytes(string flag, string archiveName)
    {
        var target = env.Work.CreateDirectory("gnu-tar-" + archiveName);
        ProcessRunner.RunChecked("tar", [flag, "-xf", env.Work.Combine(archiveName), "-C", target]);

        var manifest = ManifestJson.Deserialize(File.ReadAllBytes(Path.Combine(target, Manifest.EntryName)), "manifest");
        var extracted = TreeSnapshot.Take(target, p => p.StartsWith(".envship", StringComparison.Ordinal));
        Assert.Equal(manifest.Entries.Count, extracted.Count);
        foreach (var entry in manifest.Entries.Where(e => e.Type == EntryType.File))
        {
            Assert.True(entry.Sha256 == extracted[entry.Path].Sha256, $"{entry.Path}: GNU tar extracted different bytes");
        }

        var original = TreeSnapshot.Take(env.MovedSource);
        foreach (var (path, entry) in original.Where(e => e.Value.Kind == Core.Platform.UnixFileKind.RegularFile && !e.Key.StartsWith("conda-meta/", StringComparison.Ordinal)))
        {
            Assert.True(entry.Sha256 == extracted[path].Sha256, $"{path}: differs from the source environment");
        }

        Directory.Delete(target, recursive: true);
    }

    [Fact]
    public void Zstd_cli_tests_the_stream_as_valid()
    {
        ProcessRunner.RunChecked("zstd", ["-t", "-q", env.Archive]);
    }

    [Fact]
    public void Packing_the_same_prefix_twice_gives_byte_identical_archives()
    {
        Assert.True(File.ReadAllBytes(env.Archive).AsSpan().SequenceEqual(File.ReadAllBytes(env.ArchiveAgain)), "two packs of one prefix differ");
    }

    [Fact]
    public void The_manifest_is_the_first_member()
    {
        var listing = ProcessRunner.RunChecked("tar", ["--zstd", "-tf", env.Archive]).StdOut.Split('\n');
        Assert.Equal(Manifest.EntryName, listing[0]);
    }
}
