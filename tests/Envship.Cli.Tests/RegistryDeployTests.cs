using System.Text.Json;
using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Core.Deploy;

namespace Envship.Cli.Tests;

/// <summary>Issue 13, acceptance 3 and 5: deploys from a real registry move only the layers that changed, and refuse damage and bad signatures before DEST is touched.</summary>
public sealed class RegistryDeployTests(LayeredEnvironments envs) : IClassFixture<LayeredEnvironments>
{
    [Fact]
    public void An_update_fetches_only_the_changed_layers_verifies_and_rolls_back()
    {
        var destination = envs.Work.Combine("update", "env");
        var cache = envs.Work.Combine("update", "cache");
        var v1Sha = envs.V1.Config.Digest["sha256:".Length..];
        var v2Sha = envs.V2.Config.Digest["sha256:".Length..];

        var first = Transfer(CliRunner.RunOk("deploy", envs.Reference("v1"), "--prefix", destination, "--cache-dir", cache, "--json"));
        Assert.Equal(first.GetProperty("bytes_total").GetInt64(), first.GetProperty("bytes_fetched").GetInt64());
        Assert.Equal(v1Sha, Receipt.Load(destination).ManifestSha256);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);

        var budget = envs.ChangedBytes(out var changed);
        var second = Transfer(CliRunner.RunOk("deploy", envs.Reference("v2"), "--prefix", destination, "--replace", "--cache-dir", cache, "--json"));
        var fetched = second.GetProperty("bytes_fetched").GetInt64();
        Assert.InRange(fetched, changed.Sum(l => l.Size), budget + budget / 100);
        Assert.Equal(
            changed.Select(LayeredEnvironments.Title).Order(StringComparer.Ordinal),
            Layers(second).Where(l => l.Origin == "Fetched").Select(l => l.Title).Order(StringComparer.Ordinal));
        Assert.Contains("conda:pkg2-2.0-0", changed.Select(LayeredEnvironments.Title));
        Assert.Contains("pip:extra_tool-1.0", changed.Select(LayeredEnvironments.Title));
        Assert.Equal(envs.V1.Layers.Count + 2, envs.V2.Layers.Count);
        Assert.Equal(v2Sha, Receipt.Load(destination).ManifestSha256);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
        Assert.Contains("version=2.0", File.ReadAllText(Path.Combine(destination, "lib/pkg2/config.txt")), StringComparison.Ordinal);

        CliRunner.RunOk("rollback", destination);
        Assert.Equal(v1Sha, Receipt.Load(destination).ManifestSha256);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
    }

    [Fact]
    public void Without_a_cache_unchanged_layers_are_copied_from_DEST_and_relocated_hard_links_and_symlinks_survive()
    {
        var destination = envs.Work.Combine("no-cache", "env");
        CliRunner.RunOk("deploy", envs.Reference("v1"), "--prefix", destination, "--no-cache", "-q");
        var v1Config = File.ReadAllText(Path.Combine(destination, "lib/pkg0/config.txt"));

        var second = CliRunner.RunOk("deploy", envs.Reference("v2"), "--prefix", destination, "--replace", "--no-cache", "--json");
        var transfer = Transfer(second);
        var layers = Layers(transfer);

        envs.ChangedBytes(out var changed);
        var unchanged = envs.V2.Layers.Skip(1).Where(l => !changed.Contains(l)).Select(LayeredEnvironments.Title).ToList();
        Assert.Equal(5, unchanged.Count);
        Assert.Equal(unchanged.Order(StringComparer.Ordinal), layers.Where(l => l.Origin == "Destination").Select(l => l.Title).Order(StringComparer.Ordinal));
        Assert.Equal(envs.V2.Layers.Where(l => unchanged.Contains(LayeredEnvironments.Title(l))).Sum(l => l.Size), transfer.GetProperty("bytes_from_destination").GetInt64());
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);

        // Reused files are the bytes deployed before: relocated to DEST, a hard link still one inode, a symlink still a link.
        Assert.Equal(v1Config, File.ReadAllText(Path.Combine(destination, "lib/pkg0/config.txt")));
        Assert.Contains($"prefix={destination}", v1Config, StringComparison.Ordinal);
        Assert.Equal(Inode(Path.Combine(destination, "lib/pkg0/data-0.bin")), Inode(Path.Combine(destination, "lib/pkg0/data-0.hardlink")));
        Assert.Equal("data-1.bin", new FileInfo(Path.Combine(destination, "lib/pkg0/current")).LinkTarget);
    }

    [Fact]
    public void A_reused_file_changed_at_DEST_is_fetched_instead()
    {
        var destination = envs.Work.Combine("drifted", "env");
        CliRunner.RunOk("deploy", envs.Reference("v1"), "--prefix", destination, "--no-cache", "-q");
        File.AppendAllText(Path.Combine(destination, "lib/pkg4/data-2.bin"), "drift");

        var layers = Layers(Transfer(CliRunner.RunOk("deploy", envs.Reference("v2"), "--prefix", destination, "--replace", "--no-cache", "--json")));

        Assert.Equal("Fetched", layers.Single(l => l.Title == "conda:pkg4-1.0-0").Origin);
        Assert.Equal("Destination", layers.Single(l => l.Title == "conda:pkg3-1.0-0").Origin);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
    }

    [Fact]
    public void One_byte_changed_in_a_layer_blob_fails_naming_the_layer_and_leaves_DEST_and_the_cache_clean()
    {
        // A repository of its own, so the damage does not reach the other tests' blobs.
        CliRunner.RunOk("push", envs.V1Archive, envs.Reference("v1", "envs/tampered"), "-q");
        var layer = envs.V1.Layers.Single(l => LayeredEnvironments.Title(l) == "conda:pkg3-1.0-0");
        var data = envs.Registry.BlobDataPath(layer.Digest);
        var bytes = File.ReadAllBytes(data);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(data, bytes);
        try
        {
            var parent = envs.Work.CreateDirectory("tampered");
            var cache = envs.Work.Combine("tampered-cache");

            var result = CliRunner.Run("deploy", envs.Reference("v1", "envs/tampered"), "--prefix", Path.Combine(parent, "env"), "--cache-dir", cache);

            Assert.Equal((int)ExitCode.DamagedArchive, result.ExitCode);
            Assert.Contains("layer 'conda:pkg3-1.0-0'", result.StdErr, StringComparison.Ordinal);
            Assert.Contains(layer.Digest, result.StdErr, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
            Assert.False(File.Exists(Path.Combine(cache, "blobs", "sha256", layer.Digest["sha256:".Length..])));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(cache, "blobs", "tmp")));
        }
        finally
        {
            bytes[bytes.Length / 2] ^= 0x01;
            File.WriteAllBytes(data, bytes);
        }
    }

    [Fact]
    public void A_missing_signature_is_refused_before_any_layer_is_fetched()
    {
        var (publicKey, _) = Keys("missing");
        AssertRefusedBeforeLayers(ExitCode.SignatureMissing, "no signature referrer", envs.Reference("v1"), "--verify-key", publicKey, "--require-signature");
    }

    [Fact]
    public void A_signature_of_other_content_is_refused_before_any_layer_is_fetched()
    {
        var (publicKey, secretKey) = Keys("bad");
        CliRunner.RunOk("push", envs.V1Archive, envs.Reference("signed", "envs/signed"), "--sign", secretKey, "-q");
        CliRunner.RunOk("push", envs.V2Archive, envs.Reference("v2", "envs/signed"), "-q");
        // v1's signature, by the trusted key, now claimed for v2's manifest.
        Envship.Testing.Registry.ForgedReferrer.PushCopyOfSignature($"oci://{envs.Registry.Host}/envs/signed", "signed", "v2");

        AssertRefusedBeforeLayers(ExitCode.BadSignature, "does not match its signature", envs.Reference("v2", "envs/signed"), "--verify-key", publicKey, "--require-signature");
        var good = CliRunner.RunOk("deploy", envs.Reference("signed", "envs/signed"), "--prefix", envs.Work.Combine("signed-ok", "env"), "--verify-key", publicKey, "--require-signature", "--no-cache");
        Assert.Contains("signature good", good.StdErr, StringComparison.Ordinal);
    }

    private void AssertRefusedBeforeLayers(ExitCode expected, string message, params string[] args)
    {
        var parent = envs.Work.CreateDirectory("refused-" + Guid.NewGuid().ToString("N")[..8]);
        var cache = envs.Work.Combine("refused-cache-" + Guid.NewGuid().ToString("N")[..8]);

        var result = CliRunner.Run(["deploy", .. args, "--prefix", Path.Combine(parent, "env"), "--cache-dir", cache]);

        Assert.Equal((int)expected, result.ExitCode);
        Assert.Contains(message, result.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
        // Layers are fetched only into the cache, and none is there: none was fetched.
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(cache, "blobs", "sha256")));
    }

    private (string Public, string Secret) Keys(string name)
    {
        var publicKey = envs.Work.Combine(name + ".pub");
        var secretKey = envs.Work.Combine(name + ".key");
        if (!File.Exists(publicKey))
        {
            CliRunner.RunOk("keygen", "-W", "-p", publicKey, "-s", secretKey);
        }

        return (publicKey, secretKey);
    }

    private static JsonElement Transfer(CliResult result)
    {
        using var json = JsonDocument.Parse(result.StdOut);
        return json.RootElement.GetProperty("transfer").Clone();
    }

    private static List<(string Title, string Origin)> Layers(JsonElement transfer) =>
        [.. transfer.GetProperty("layers").EnumerateArray().Select(l => (l.GetProperty("title").GetString()!, l.GetProperty("origin").GetString()!))];

    private static ulong Inode(string path) => Envship.Core.Platform.UnixFileSystem.TryStat(path)!.Value.Inode;
}
