using System.Security.Cryptography;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;
using Envship.Core;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// A prefix shaped to stress the deploy pipeline, where one thread reads the archive and workers
/// write the files: a file bigger than the bytes allowed in flight, hard links made right after their
/// targets (one of them relocated), then hundreds of small files that keep the workers busy.
/// </summary>
public sealed class PipelineEnvironment : IDisposable
{
    // Bigger than the bytes the reader may hold ahead of the writers (32 MiB), and than many 1 MiB chunks.
    public const int BigSize = (70 << 20) + 12345;

    public PipelineEnvironment()
    {
        Work = new TempDirectory("envship-pipeline-");
        Prefix = Work.Combine("src", "pipeline-env");
        Write("conda-meta/history", "");
        Write("bin/tool", "#!/bin/sh\n");
        var big = new byte[BigSize];
        new Random(42).NextBytes(big);
        Write("lib/big.bin", big);
        BigSha256 = Convert.ToHexStringLower(SHA256.HashData(big));
        UnixFileSystem.HardLink(Path.Combine(Prefix, "lib/big.bin"), Path.Combine(Prefix, "lib/big2.bin"));
        Write("lib/config.txt", $"prefix={Prefix}\n");
        UnixFileSystem.HardLink(Path.Combine(Prefix, "lib/config.txt"), Path.Combine(Prefix, "lib/config2.txt"));
        // Names that relocation's temporaries once took, beside files relocated in memory and on disk.
        Write("lib/config.txt.envship-rewrite", "not a temporary\n");
        Write("lib/huge-config.txt", HugeText(Prefix));
        Write("lib/huge-config.txt.envship-rewrite", "not a temporary either\n");
        Write("lib/mid.bin", MidBinary(Prefix));
        var random = new Random(7);
        for (var i = 0; i < 400; i++)
        {
            var bytes = new byte[200 + (i * 37 % 5000)];
            random.NextBytes(bytes);
            Write($"share/many/f{i:000}.txt", System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(bytes)));
        }

        Tar = Work.Combine("pipeline.tar");
        CliRunner.RunOk("pack", "-p", Prefix, "-o", Tar, "--format", "tar", "-q");
        TarZst = Work.Combine("pipeline.tar.zst");
        CliRunner.RunOk("pack", "-p", Prefix, "-o", TarZst, "-q");
    }

    public TempDirectory Work { get; }
    public string Prefix { get; }
    public string BigSha256 { get; }
    public string Tar { get; }
    public string TarZst { get; }

    /// <summary>Bigger than what deploy relocates in memory (8 MiB).</summary>
    public const int HugeSize = 9 << 20;

    /// <summary>Where <see cref="MidBinary"/> puts its C string: across the boundary between the first two 1 MiB chunks.</summary>
    public const int MidStringOffset = (1 << 20) - 7;

    public void Dispose() => Work.Dispose();

    /// <summary>Text over <see cref="HugeSize"/> bytes, naming the prefix at its start, its end, and across a 1 MiB boundary.</summary>
    public static string HugeText(string prefix)
    {
        var text = new System.Text.StringBuilder($"{prefix}/first\n");
        text.Append('x', (1 << 20) - text.Length - 3).Append($"{prefix}/straddling\n");
        text.Append('y', HugeSize - text.Length).Append($"\n{prefix}/last\n");
        return text.ToString();
    }

    /// <summary>Three 1 MiB chunks of binary data with one NUL-terminated string naming the prefix, across the first chunk boundary.</summary>
    public static byte[] MidBinary(string prefix)
    {
        var bytes = new byte[3 << 20];
        new Random(3).NextBytes(bytes);
        bytes.AsSpan(0, 64).Clear();
        var text = System.Text.Encoding.UTF8.GetBytes($"{prefix}/lib/plugins");
        bytes.AsSpan(MidStringOffset - 1, text.Length + 2).Clear();
        text.CopyTo(bytes, MidStringOffset);
        return bytes;
    }

    private void Write(string relative, byte[] content)
    {
        var full = Path.Combine(Prefix, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
    }

    private void Write(string relative, string content) => Write(relative, System.Text.Encoding.UTF8.GetBytes(content));
}

public sealed class DeployPipelineTests(PipelineEnvironment env) : IClassFixture<PipelineEnvironment>
{
    [Fact]
    public void A_file_bigger_than_the_in_flight_budget_arrives_whole()
    {
        var destination = Path.Combine(env.Work.CreateDirectory("big"), "env");

        CliRunner.RunOk("deploy", env.TarZst, "--prefix", destination, "-q");

        using var stream = File.OpenRead(Path.Combine(destination, "lib/big.bin"));
        Assert.Equal(PipelineEnvironment.BigSize, stream.Length);
        Assert.Equal(env.BigSha256, Convert.ToHexStringLower(SHA256.HashData(stream)));
        Assert.Equal(400, Directory.GetFiles(Path.Combine(destination, "share/many")).Length);
        CliRunner.RunOk("verify", destination);
    }

    /// <summary>A link made before its target's worker finished would name a half-written file, or the pre-relocation inode.</summary>
    [Fact]
    public void A_hard_link_right_after_its_target_shares_the_finished_file()
    {
        var destination = Path.Combine(env.Work.CreateDirectory("links"), "env");

        CliRunner.RunOk("deploy", env.Tar, "--prefix", destination, "-q");

        var order = HostileArchiveBuilder.Read(env.Tar).Members.Select(m => m.Name).ToList();
        Assert.Equal(order.IndexOf("lib/big.bin") + 1, order.IndexOf("lib/big2.bin"));
        Assert.Equal(UnixFileSystem.Stat(Path.Combine(destination, "lib/big.bin")).Inode, UnixFileSystem.Stat(Path.Combine(destination, "lib/big2.bin")).Inode);
        using (var stream = File.OpenRead(Path.Combine(destination, "lib/big2.bin")))
        {
            Assert.Equal(env.BigSha256, Convert.ToHexStringLower(SHA256.HashData(stream)));
        }

        var config = Path.Combine(destination, "lib/config.txt");
        var config2 = Path.Combine(destination, "lib/config2.txt");
        Assert.Equal($"prefix={destination}\n", File.ReadAllText(config2));
        Assert.Equal(UnixFileSystem.Stat(config).Inode, UnixFileSystem.Stat(config2).Inode);
    }

    /// <summary>
    /// Relocation writes a temporary for files too big to rewrite in memory; it must be a name no member can
    /// take, and memory and disk must give the same bytes the rules define.
    /// </summary>
    [Fact]
    public void Files_named_like_relocation_temporaries_deploy_beside_relocated_files()
    {
        var destination = Path.Combine(env.Work.CreateDirectory("rw"), "e");
        Assert.True(destination.Length < env.Prefix.Length, "the binary string must fit");

        CliRunner.RunOk("deploy", env.TarZst, "--prefix", destination, "-q");

        Assert.Equal($"prefix={destination}\n", File.ReadAllText(Path.Combine(destination, "lib/config.txt")));
        Assert.Equal("not a temporary\n", File.ReadAllText(Path.Combine(destination, "lib/config.txt.envship-rewrite")));
        Assert.Equal(PipelineEnvironment.HugeText(env.Prefix).Replace(env.Prefix, destination, StringComparison.Ordinal), File.ReadAllText(Path.Combine(destination, "lib/huge-config.txt")));
        Assert.Equal("not a temporary either\n", File.ReadAllText(Path.Combine(destination, "lib/huge-config.txt.envship-rewrite")));

        var binary = PipelineEnvironment.MidBinary(env.Prefix);
        var relocated = System.Text.Encoding.UTF8.GetBytes($"{destination}/lib/plugins");
        var region = System.Text.Encoding.UTF8.GetByteCount($"{env.Prefix}/lib/plugins");
        binary.AsSpan(PipelineEnvironment.MidStringOffset, region).Clear();
        relocated.CopyTo(binary, PipelineEnvironment.MidStringOffset);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(binary)), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(destination, "lib/mid.bin")))));

        Assert.Equal([Path.Combine(destination, ".envship", "receipt.json")], Directory.GetFileSystemEntries(Path.Combine(destination, ".envship")));
        CliRunner.RunOk("verify", destination);
    }

    /// <summary>A file relocated in memory is checked against the manifest as archived, before any rewriting.</summary>
    [Fact]
    public void A_damaged_file_that_needs_relocation_is_refused()
    {
        var damaged = WithFlippedByte(HostileArchiveBuilder.Read(env.Tar), "lib/config.txt");
        var path = HostileArchiveBuilder.Write(env.Work.Combine("damaged-config.tar"), damaged, ArchiveFormat.Tar);

        AssertRefused(path, "'lib/config.txt' does not match the manifest");
    }

    [Theory]
    [InlineData(ArchiveFormat.Tar)]
    [InlineData(ArchiveFormat.TarZst)]
    public void A_damaged_file_late_in_the_archive_leaves_nothing_while_workers_are_busy(ArchiveFormat format)
    {
        var archive = HostileArchiveBuilder.Read(env.Tar);
        var victim = archive.Members.Last(m => m.Type == System.Formats.Tar.TarEntryType.RegularFile).Name;
        var damaged = WithFlippedByte(archive, victim);
        var path = HostileArchiveBuilder.Write(env.Work.Combine($"late-{format}.{(format == ArchiveFormat.Tar ? "tar" : "tar.zst")}"), damaged, format);

        AssertRefused(path, $"'{victim}' does not match the manifest");
    }

    /// <summary>
    /// The big file's hash fails on a worker only after it has hashed the last of up to 32 MiB in flight;
    /// by then the reader has hit the member right after it, which is not in the manifest. The error
    /// must still name the big file, as a one-thread deploy would.
    /// </summary>
    [Fact]
    public void The_earliest_failure_in_archive_order_is_reported()
    {
        var archive = WithFlippedByte(HostileArchiveBuilder.Read(env.Tar), "lib/big.bin");
        var extra = new RawMember("share/zz-extra.txt", System.Formats.Tar.TarEntryType.RegularFile, "extra"u8.ToArray());
        var members = archive.Members.ToList();
        members.Insert(members.FindIndex(m => m.Name == "lib/big.bin") + 1, extra);
        archive = archive with { Members = members };
        var path = HostileArchiveBuilder.Write(env.Work.Combine("two-faults.tar"), archive, ArchiveFormat.Tar);

        var stdErr = AssertRefused(path, "'lib/big.bin' does not match the manifest");

        Assert.DoesNotContain("zz-extra", stdErr, StringComparison.Ordinal);
    }

    private static HostileArchive WithFlippedByte(HostileArchive archive, string victim) =>
        archive with
        {
            Members = [.. archive.Members.Select(m => m.Name == victim ? m with { Data = Flip(m.Data) } : m)],
        };

    private static byte[] Flip(byte[] data)
    {
        var copy = data.ToArray();
        copy[copy.Length / 2] ^= 0x01;
        return copy;
    }

    private string AssertRefused(string archive, string expected)
    {
        var parent = env.Work.CreateDirectory("refused-" + Path.GetFileName(archive));
        var destination = Path.Combine(parent, "env");

        var result = CliRunner.Run("deploy", archive, "--prefix", destination, "-q");

        Assert.True(result.ExitCode == (int)ExitCode.DamagedArchive, $"exit {result.ExitCode}, expected 6:\n{result.All}");
        Assert.True(result.StdErr.Contains(expected, StringComparison.Ordinal), $"expected '{expected}' in:\n{result.StdErr}");
        Assert.False(Directory.Exists(destination), "the destination must not exist after a refused deploy");
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
        return result.StdErr;
    }
}
