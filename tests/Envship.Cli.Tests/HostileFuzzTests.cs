using System.Diagnostics;
using Envship.Cli.Tests.Fixtures;
using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;
using Envship.Core;
using Xunit.Abstractions;

namespace Envship.Cli.Tests;

/// <summary>
/// Acceptance 3 of issue 4: thousands of randomly corrupted or truncated copies of a small valid
/// archive, deployed in-process. Each either deploys exactly the tree the intact archive deploys
/// (a flip in tar padding is harmless) or is refused with DamagedArchive, leaving no DEST and no
/// staging directory. Any other exception, a hang, or a different tree fails the test.
/// </summary>
public sealed class HostileFuzzTests(TinyEnvironment env, ITestOutputHelper log) : IClassFixture<TinyEnvironment>
{
    private static readonly TimeSpan PerCaseTimeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(ArchiveFormat.Tar, 1200, 20261125)]
    [InlineData(ArchiveFormat.TarZst, 1200, 4)]
    [InlineData(ArchiveFormat.TarGz, 300, 6)]
    public void Corrupted_copies_deploy_identically_or_are_refused(ArchiveFormat format, int cases, int seed)
    {
        var original = File.ReadAllBytes(env.Archive(format));
        var parent = env.Work.CreateDirectory($"fuzz-{format}");
        var destination = Path.Combine(parent, "env");
        var corrupted = env.Work.Combine($"fuzz-{format}.archive");
        var expected = DeployAndDescribe(env.Archive(format), destination);
        var random = new Random(seed);
        var headers = HeaderBlocks(original);
        int identical = 0, refused = 0;
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < cases && failures.Count < 10; i++)
        {
            var (bytes, what) = Corrupt(original, headers, random);
            File.WriteAllBytes(corrupted, bytes);
            var (result, outcome) = Deploy(corrupted, destination);
            if (result is not null)
            {
                var actual = Describe(destination, result);
                StagingDirectory.Remove(destination);
                if (actual.SequenceEqual(expected))
                {
                    identical++;
                }
                else
                {
                    failures.Add($"case {i} ({what}) deployed a different tree: {string.Join(", ", actual.Except(expected).Take(3))}");
                }
            }
            else if (outcome is EnvshipException { Code: ExitCode.DamagedArchive } refusal && refusal.Message.Contains(corrupted, StringComparison.Ordinal))
            {
                refused++;
            }
            else
            {
                failures.Add($"case {i} ({what}) failed with {outcome!.GetType().Name} instead of a DamagedArchive refusal naming the archive: {outcome}");
            }

            var left = Directory.EnumerateFileSystemEntries(parent).ToList();
            if (left.Count > 0)
            {
                failures.Add($"case {i} ({what}) left {string.Join(", ", left.Select(Path.GetFileName))} behind");
                left.ForEach(StagingDirectory.Remove);
            }
        }

        log.WriteLine($"{format}: {identical + refused + failures.Count} corrupted copies of a {original.Length}-byte archive in {clock.Elapsed.TotalSeconds:0.0} s: {identical} deployed identically, {refused} refused, {failures.Count} failures");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(refused > 0, "no corruption was ever detected: the fuzzer is not reaching the reader");
    }

    /// <summary>
    /// Flips 1–8 bytes, or truncates at a random length, or both. In a plain tar half the flips land
    /// in header blocks (ustar and pax), where the reader's own parsing is exercised rather than the hashes.
    /// </summary>
    private static (byte[] Bytes, string What) Corrupt(byte[] original, List<int> headers, Random random)
    {
        var mode = random.Next(3);
        var bytes = mode == 1 ? original[..random.Next(original.Length)] : (byte[])original.Clone();
        var what = mode == 1 ? $"truncated to {bytes.Length}" : "";
        if (mode != 1)
        {
            var flips = random.Next(1, 9);
            for (var f = 0; f < flips; f++)
            {
                var at = headers.Count > 0 && random.Next(2) == 0 ? headers[random.Next(headers.Count)] + random.Next(512) : random.Next(bytes.Length);
                bytes[at] ^= (byte)random.Next(1, 256);
                what += $"flip@{at} ";
            }

            if (mode == 2)
            {
                bytes = bytes[..random.Next(bytes.Length)];
                what += $"then truncated to {bytes.Length}";
            }
        }

        return (bytes, what.Trim());
    }

    /// <summary>Offsets of the 512-byte tar header blocks (ustar headers and the pax records after them) in an uncompressed archive.</summary>
    private static List<int> HeaderBlocks(byte[] archive)
    {
        var blocks = new List<int>();
        for (var offset = 0; offset + 512 <= archive.Length; offset += 512)
        {
            if (archive.AsSpan(offset + 257, 5).SequenceEqual("ustar"u8))
            {
                blocks.Add(offset);
                if (archive[offset + 156] == (byte)'x')
                {
                    blocks.Add(offset + 512);
                }
            }
        }

        return blocks;
    }

    /// <summary>The result, or the exception; a deploy that outlives the timeout is cancelled and reported.</summary>
    private static (DeployResult? Result, Exception? Error) Deploy(string archive, string destination)
    {
        using var cancellation = new CancellationTokenSource();
        var task = Task.Run(() => Deployer.Deploy(new DeployOptions { ArchivePath = archive, Destination = destination }, cancellation.Token));
        try
        {
            if (!task.Wait(PerCaseTimeout))
            {
                cancellation.Cancel();
                return (null, new TimeoutException($"the deploy did not finish within {PerCaseTimeout.TotalSeconds} s"));
            }

            return (task.Result, null);
        }
        catch (AggregateException ex)
        {
            return (null, ex.InnerException!);
        }
    }

    private static List<string> DeployAndDescribe(string archive, string destination)
    {
        var (result, error) = Deploy(archive, destination);
        Assert.Null(error);
        var tree = Describe(destination, result!);
        StagingDirectory.Remove(destination);
        return tree;
    }

    /// <summary>
    /// Types, modes, mtimes, hashes, link targets and hard-link groups of a deployed tree. The receipt
    /// differs by design (it names the archive's digest), and what deploy adds itself has the deploy's time.
    /// </summary>
    private static List<string> Describe(string root, DeployResult result)
    {
        var tree = TreeSnapshot.Take(root, p => p == ".envship/receipt.json");
        foreach (var added in result.AddedFiles.Append(".envship"))
        {
            tree[added] = tree[added] with { MtimeNs = 0 };
        }

        var groups = tree.Values.GroupBy(e => e.Inode).ToDictionary(g => g.Key, g => g.Select(e => e.Path).Order(StringComparer.Ordinal).First());
        var status = UnixFileSystem.Stat(root);
        return [
            $". {status.Mode} {status.ModifiedNanoseconds}",
            .. tree.Values.OrderBy(e => e.Path, StringComparer.Ordinal)
                .Select(e => $"{e.Path} {e.Kind} {e.Mode} {e.MtimeNs} {e.Sha256} {e.LinkTarget} {groups[e.Inode]}"),
        ];
    }
}
