using Envship.Core.Archive;
using Envship.Core.Pack;
using Envship.Core.Registry;
using Envship.Core.Registry.Artifact;
using Envship.Testing;
using Envship.Testing.Registry;

namespace Envship.Core.Tests.Registry.Artifact;

/// <summary>The artifact built from a packed prefix of real packages: config bytes, deterministic layers, annotations.</summary>
public sealed class ArtifactBuilderTests
{
    private static readonly DateTimeOffset Fixed = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public void The_config_is_the_archives_manifest_byte_for_byte()
    {
        using var work = new TempDirectory();
        var built = VersionedEnvironment.BuildV1(work.Combine("env"), work.Combine("pkgs"));
        var archive = Pack(built.Prefix, work.Combine("v1.tar.zst"), Fixed);
        using var artifact = ArtifactBuilder.FromArchive(archive);

        using var reader = ArchiveReader.Open(archive);
        Assert.Equal("sha256:" + reader.ManifestSha256, artifact.Config.Digest);
        Assert.Equal(OciMediaTypes.ManifestConfig, artifact.Config.MediaType);
        var extracted = ProcessRunner.RunChecked("sh", ["-c", "tar --zstd -xOf \"$1\" .envship/manifest.json | sha256sum", "sh", archive]).StdOut;
        Assert.Equal(artifact.Config.Digest, "sha256:" + extracted.Split(' ')[0]);
        Assert.Equal(new FileInfo(artifact.ConfigPath).Length, artifact.Config.Size);
    }

    [Fact]
    public void The_image_manifest_carries_the_layers_in_order_with_their_annotations()
    {
        using var work = new TempDirectory();
        var built = VersionedEnvironment.BuildV1(work.Combine("env"), work.Combine("pkgs"));
        using var artifact = ArtifactBuilder.FromArchive(Pack(built.Prefix, work.Combine("v1.tar.zst"), Fixed));
        var bytes = artifact.ImageManifest("v1");
        var image = OciImageManifest.Parse(bytes.Content);

        Assert.Equal(OciDigest.Of(bytes.Content), bytes.Digest);
        Assert.Equal(OciMediaTypes.Environment, image.ArtifactType);
        Assert.Equal("v1", image.Annotations![OciAnnotations.Version]);
        Assert.Equal("env", image.Annotations[OciAnnotations.Title]);
        Assert.Equal("2026-01-02T03:04:05Z", image.Annotations[OciAnnotations.Created]);
        var titles = image.Layers.Select(l => l.Annotations![OciAnnotations.Title]).ToList();
        Assert.Equal("base", titles[0]);
        Assert.Contains(VersionedEnvironment.ZlibV1, titles);
        Assert.Equal("pip:alpha-1.0", titles[^1]);
        var zlib = image.Layers.Single(l => l.Annotations![OciAnnotations.Title] == VersionedEnvironment.ZlibV1);
        Assert.Equal("zlib", zlib.Annotations![OciAnnotations.CondaName]);
        Assert.Equal("h7b6447c_3", zlib.Annotations[OciAnnotations.CondaBuild]);
        Assert.All(image.Layers, l => Assert.Equal(OciMediaTypes.Layer, l.MediaType));
        Assert.All(artifact.Layers, l => Assert.Equal(new FileInfo(l.Path).Length, l.Descriptor.Size));
    }

    [Fact]
    public void Layers_are_plain_tars_with_mtime_0_and_owner_0_in_independent_zstd_frames()
    {
        using var work = new TempDirectory();
        var built = VersionedEnvironment.BuildV1(work.Combine("env"), work.Combine("pkgs"));
        using var artifact = ArtifactBuilder.FromArchive(Pack(built.Prefix, work.Combine("v1.tar.zst"), Fixed));

        var base_ = artifact.Layers[0].Path;
        var listing = ProcessRunner.RunChecked("tar", ["--zstd", "--full-time", "-tvf", base_]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(listing, line => Assert.Contains(" 0/0 ", line, StringComparison.Ordinal));
        Assert.All(listing, line => Assert.Contains("1970-01-01 00:00:00", line, StringComparison.Ordinal));
        Assert.StartsWith(".envship/exports/", listing[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1], StringComparison.Ordinal);
        Assert.Contains(listing, l => l.EndsWith(" " + CondaPrefixBuilder.HardLinkB + " link to " + CondaPrefixBuilder.HardLinkA, StringComparison.Ordinal));
        ProcessRunner.RunChecked("zstd", ["-t", "-q", base_]);
    }

    [Fact]
    public void Packing_the_same_prefix_with_other_mtimes_gives_the_same_layer_digests()
    {
        using var work = new TempDirectory();
        var built = VersionedEnvironment.BuildV1(work.Combine("env"), work.Combine("pkgs"));
        var firstArchive = Pack(built.Prefix, work.Combine("a.tar.zst"), Fixed);
        using var first = ArtifactBuilder.FromArchive(firstArchive);
        using var oneThread = ArtifactBuilder.FromArchive(firstArchive, new ArtifactOptions { Jobs = 1 });
        Assert.Equal(Digests(first), Digests(oneThread));
        Touch(built.Prefix, new DateTime(2030, 5, 6, 7, 8, 9, DateTimeKind.Utc));
        using var second = ArtifactBuilder.FromArchive(Pack(built.Prefix, work.Combine("b.tar.zst"), Fixed));
        using var third = ArtifactBuilder.FromArchive(Pack(built.Prefix, work.Combine("c.tar.zst"), created: null));

        Assert.Equal(Digests(first), Digests(second));
        Assert.NotEqual(first.Config.Digest, second.Config.Digest);

        // Without a fixed creation time the exports in the base carry the newest mtime; every package layer stays.
        Assert.Equal(Digests(first).Skip(1), Digests(third).Skip(1));
    }

    [Fact]
    public void A_changed_package_file_changes_only_its_layer()
    {
        using var work = new TempDirectory();
        var built = VersionedEnvironment.BuildV1(work.Combine("env"), work.Combine("pkgs"));
        using var before = ArtifactBuilder.FromArchive(Pack(built.Prefix, work.Combine("a.tar.zst"), Fixed));
        File.AppendAllText(Path.Combine(built.Prefix, VersionedEnvironment.SitePackages, "alpha/__init__.py"), "# edited\n");
        using var after = ArtifactBuilder.FromArchive(Pack(built.Prefix, work.Combine("b.tar.zst"), Fixed));

        var changed = before.Layers.Zip(after.Layers).Where(p => p.First.Descriptor.Digest != p.Second.Descriptor.Digest).Select(p => p.Second.Layer.Title).ToList();
        Assert.Equal(["pip:alpha-1.0"], changed);
    }

    [Fact]
    public void A_damaged_archive_is_refused_before_any_layer_is_built()
    {
        using var work = new TempDirectory();
        var built = VersionedEnvironment.BuildV1(work.Combine("env"), work.Combine("pkgs"));
        var archive = Pack(built.Prefix, work.Combine("v1.tar.gz"), Fixed);
        var bytes = File.ReadAllBytes(archive);
        bytes[bytes.Length * 2 / 3] ^= 0x40;
        File.WriteAllBytes(archive, bytes);

        var error = Assert.Throws<EnvshipException>(() => ArtifactBuilder.FromArchive(archive, new ArtifactOptions { TemporaryDirectory = work.Combine() }));
        Assert.Equal(ExitCode.DamagedArchive, error.Code);
        Assert.DoesNotContain(Directory.EnumerateDirectories(work.Path), d => Path.GetFileName(d).StartsWith("envship-artifact-", StringComparison.Ordinal));
    }

    internal static string Pack(string prefix, string output, DateTimeOffset? created)
    {
        EnvironmentPacker.Pack(new PackOptions { Prefix = prefix, Output = output, Format = ArchiveFormats.Choose(output, null), Created = created, Jobs = 2 });
        return output;
    }

    private static List<string> Digests(BuiltArtifact artifact) => [.. artifact.Layers.Select(l => l.Descriptor.Digest)];

    private static void Touch(string prefix, DateTime when)
    {
        // Symlinks are skipped, never followed: the prefix has one to /usr/lib.
        var pending = new Stack<string>([prefix]);
        while (pending.TryPop(out var directory))
        {
            foreach (var path in Directory.GetFileSystemEntries(directory))
            {
                if (new FileInfo(path).LinkTarget is not null)
                {
                    continue;
                }

                File.SetLastWriteTimeUtc(path, when);
                if (Directory.Exists(path))
                {
                    pending.Push(path);
                }
            }
        }
    }
}
