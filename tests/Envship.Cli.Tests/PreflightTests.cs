using Envship.Cli.Tests.Fixtures;
using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;
using Envship.Core.Relocation;
using Envship.Core;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>Acceptance 7 and 8: platform, glibc and disk space are checked before writing; a disk that fills anyway fails cleanly.</summary>
public sealed class PreflightTests(SmallEnvironment env) : IClassFixture<SmallEnvironment>
{
    [Fact]
    public void A_tar_zst_whose_manifest_says_linux_aarch64_is_refused_before_writing()
    {
        var archive = env.Pack("native.tar.zst");
        var unpacked = env.Work.CreateDirectory("foreign-unpacked");
        ProcessRunner.RunChecked("tar", ["--zstd", "-xf", archive, "-C", unpacked]);
        EditManifest(unpacked, json => json
            .Replace("\"arch\": \"x86_64\"", "\"arch\": \"aarch64\"", StringComparison.Ordinal)
            .Replace("\"subdir\": \"linux-64\"", "\"subdir\": \"linux-aarch64\"", StringComparison.Ordinal));
        var members = ProcessRunner.RunChecked("tar", ["--zstd", "-tf", archive]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var foreign = env.Work.Combine("foreign.tar.zst");
        var list = env.Work.WriteFile("foreign-members.txt", string.Join('\n', members) + "\n");
        ProcessRunner.RunChecked("tar", ["--zstd", "--format=pax", "--no-recursion", "-cf", foreign, "-C", unpacked, "-T", list]);
        Assert.Equal("linux-aarch64", ArchiveReader.ReadManifestOnly(foreign).Platform.Subdir);
        var parent = env.Work.CreateDirectory("foreign-parent");

        var result = CliRunner.Run("deploy", foreign, "--prefix", Path.Combine(parent, "env"));

        Assert.Equal((int)ExitCode.PlatformMismatch, result.ExitCode);
        Assert.Contains("linux-aarch64", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("nothing was written", result.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    [Fact]
    public void Pack_records_a_plausible_glibc_floor_and_the_file_that_needs_it()
    {
        var manifest = ArchiveReader.ReadManifestOnly(env.Pack("glibc.tar.zst"));

        Assert.NotNull(manifest.GlibcFloor);
        Assert.True(GlibcVersions.Compare(manifest.GlibcFloor, "2.2.5") >= 0, manifest.GlibcFloor);
        Assert.True(GlibcVersions.Compare(manifest.GlibcFloor, HostLibc.GlibcVersion!) <= 0, manifest.GlibcFloor);
        Assert.Contains(manifest.Entries, e => e.Path == manifest.GlibcFloorFile && e.Type == EntryType.File);
        var readelf = ProcessRunner.RunChecked("readelf", ["-V", "-W", Path.Combine(env.Prefix, manifest.GlibcFloorFile!)]).StdOut;
        Assert.Contains($"Name: GLIBC_{manifest.GlibcFloor} ", readelf, StringComparison.Ordinal);
    }

    [Fact]
    public void An_environment_needing_a_newer_glibc_than_the_host_is_refused_before_writing()
    {
        var directoryArchive = env.Work.Combine("future-glibc");
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", directoryArchive, "--format", "dir", "-q");
        var file = ArchiveReader.ReadManifestOnly(directoryArchive).GlibcFloorFile!;
        EditManifest(directoryArchive, json => System.Text.RegularExpressions.Regex.Replace(json, "\"glibc_floor\": \"[0-9.]+\"", "\"glibc_floor\": \"9.99\""));
        var parent = env.Work.CreateDirectory("future-parent");

        var result = CliRunner.Run("deploy", directoryArchive, "--prefix", Path.Combine(parent, "env"));

        Assert.Equal((int)ExitCode.PreflightFailed, result.ExitCode);
        Assert.Contains("glibc 9.99", result.StdErr, StringComparison.Ordinal);
        Assert.Contains($"this machine has glibc {HostLibc.GlibcVersion}", result.StdErr, StringComparison.Ordinal);
        Assert.Contains(file, result.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    [Fact]
    public void A_filesystem_too_small_for_the_environment_is_refused_with_the_numbers()
    {
        var archive = PackWithBlob("big-for-tmpfs", 6 << 20);
        using var small = new SizeLimitedFileSystem("4m");
        var destination = Path.Combine(small.Path, "env");

        var result = CliRunner.Run("deploy", archive, "--prefix", destination);

        Assert.Equal((int)ExitCode.PreflightFailed, result.ExitCode);
        Assert.Contains("not enough free space", result.StdErr, StringComparison.Ordinal);
        Assert.Matches(@"needs [0-9.]+ MiB \([0-9,]+ bytes\).* only [0-9.]+ MiB \([0-9,]+ bytes\) is free", result.StdErr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(small.Path));
    }

    /// <summary>
    /// ENOSPC for real: the archive fits the 8 MiB tmpfs, so preflight passes; the first progress report
    /// (after the first member is written, in-process and synchronously) fills the tmpfs with a dummy file,
    /// so the kernel refuses the following writes with ENOSPC.
    /// </summary>
    [Fact]
    public void A_disk_that_fills_during_the_deploy_fails_cleanly_with_no_space_left()
    {
        var archive = PackWithBlob("fits-tmpfs", 3 << 20);
        using var small = new SizeLimitedFileSystem("8m");
        var destination = Path.Combine(small.Path, "env");
        var filled = false;
        var options = new DeployOptions
        {
            ArchivePath = archive,
            Destination = destination,
            Progress = new SynchronousProgress(_ =>
            {
                if (!filled)
                {
                    filled = true;
                    small.FillUp();
                }
            }),
        };

        var failure = Assert.Throws<EnvshipException>(() => Deployer.Deploy(options));

        Assert.True(filled, "preflight refused before the disk could fill");
        Assert.Equal(ExitCode.IoFailure, failure.Code);
        Assert.Equal(10, (int)failure.Code);
        Assert.Contains("No space left on device", failure.Message, StringComparison.Ordinal);
        Assert.Contains(destination, failure.Message, StringComparison.Ordinal);
        Assert.Equal(["filler"], Directory.EnumerateFileSystemEntries(small.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Dry_run_prints_the_plan_and_writes_nothing()
    {
        var archive = env.Pack("dry.tar.zst");
        var parent = env.Work.CreateDirectory(Path.Combine("dry-parent", "a-much-longer-directory-name-than-the-source-had-at-all"));
        var before = Directory.GetFileSystemEntries(Path.GetDirectoryName(parent)!, "*", SearchOption.AllDirectories);

        var result = CliRunner.RunOk("deploy", archive, "--prefix", Path.Combine(parent, "env"), "--dry-run");

        Assert.Contains("nothing was written", result.StdOut, StringComparison.Ordinal);
        Assert.Contains($"destination: {Path.Combine(parent, "env")}", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("members read and verified", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("relocations:", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("disk: needs", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("won't fit: bin/tight", result.StdOut, StringComparison.Ordinal);
        Assert.Equal(before, Directory.GetFileSystemEntries(Path.GetDirectoryName(parent)!, "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    [Fact]
    public void Dry_run_reads_every_member_so_a_damaged_archive_fails_it()
    {
        var archive = env.Pack("dry-damaged.tar", "--format", "tar");
        var bytes = File.ReadAllBytes(archive);
        var victim = ArchiveReader.ReadManifestOnly(archive).Entries.Where(e => e.Type == EntryType.File && e.Size > 100).OrderBy(e => e.Path, StringComparer.Ordinal).Last();
        var offset = bytes.AsSpan().IndexOf(File.ReadAllBytes(Path.Combine(env.Prefix, victim.Path)).AsSpan(0, 64));
        bytes[offset + 50] ^= 0x01;
        File.WriteAllBytes(archive, bytes);
        var parent = env.Work.CreateDirectory("dry-damaged-parent");

        var result = CliRunner.Run("deploy", archive, "--prefix", Path.Combine(parent, "env"), "--dry-run");

        Assert.Equal((int)ExitCode.DamagedArchive, result.ExitCode);
        Assert.Contains($"'{victim.Path}'", result.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    private static void EditManifest(string directory, Func<string, string> edit)
    {
        var path = Path.Combine(directory, Manifest.EntryName);
        File.WriteAllText(path, edit(File.ReadAllText(path)));
    }

    private string PackWithBlob(string name, int bytes)
    {
        var prefix = env.Work.Combine(name, "env");
        env.Build(prefix);
        var blob = new byte[bytes];
        new Random(7).NextBytes(blob);
        File.WriteAllBytes(Path.Combine(prefix, "share", "blob.bin"), blob);
        var archive = env.Work.Combine(name + ".tar.zst");
        CliRunner.RunOk("pack", "-p", prefix, "-o", archive, "-q");
        return archive;
    }

    private sealed class SynchronousProgress(Action<DeployProgress> report) : IProgress<DeployProgress>
    {
        public void Report(DeployProgress value) => report(value);
    }
}
