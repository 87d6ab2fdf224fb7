using Envship.Cli.Tests.Fixtures;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
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
    public void Packing_the_same_prefix_twice_with_one_and_two_threads_gives_byte_identical_archives()
    {
        Assert.True(File.ReadAllBytes(env.Archive).AsSpan().SequenceEqual(File.ReadAllBytes(env.ArchiveAgain)), "tar.zst packs with -j 2 and -j 1 differ");
        Assert.True(File.ReadAllBytes(env.GzipArchive).AsSpan().SequenceEqual(File.ReadAllBytes(env.GzipArchiveOneThread)), "tar.gz packs with -j 2 and -j 1 differ");
    }

    [Fact]
    public void Gzip_output_is_independent_members_that_gzip_reads_as_one_stream()
    {
        // Python's zlib walks the members one by one, exactly as gzip does.
        const string Walk = "import sys, zlib\nd = open(sys.argv[1], 'rb').read(); n = t = 0\nwhile d:\n    o = zlib.decompressobj(31); t += len(o.decompress(d)); d = o.unused_data; n += 1\nprint(n, t)";
        var counts = ProcessRunner.RunChecked("python3", ["-c", Walk, env.GzipArchive]).StdOut.Trim().Split(' ');
        var members = long.Parse(counts[0], System.Globalization.CultureInfo.InvariantCulture);
        var tarBytes = long.Parse(counts[1], System.Globalization.CultureInfo.InvariantCulture);

        // One member for the manifest and exports, then one per 4 MiB block of the rest.
        Assert.True(tarBytes > 3 * (4L << 20), $"the test environment is too small ({tarBytes} tar bytes) to need several blocks");
        Assert.Equal(1.0 + ((tarBytes - 1) / (4L << 20)) + 1, (double)members, 1.0);
        ProcessRunner.RunChecked("gzip", ["-t", env.GzipArchive]);
    }

    [Fact]
    public void The_manifest_is_the_first_member()
    {
        var listing = ProcessRunner.RunChecked("tar", ["--zstd", "-tf", env.Archive]).StdOut.Split('\n');
        Assert.Equal(Manifest.EntryName, listing[0]);
    }
}
