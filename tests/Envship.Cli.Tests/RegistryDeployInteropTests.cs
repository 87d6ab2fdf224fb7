using System.Text.Json;
using Envship.Cli.Tests.Fixtures;
using Envship.Core.Deploy;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>Issue 13: a deploy of what DEST holds fetches only the manifest and config; copies made by skopeo deploy as the original.</summary>
public sealed class RegistryDeployInteropTests(LayeredEnvironments envs) : IClassFixture<LayeredEnvironments>
{
    [Fact]
    public void A_second_deploy_of_the_same_tag_is_unchanged_and_fetches_only_the_manifest_and_config()
    {
        var destination = envs.Work.Combine("same-tag", "env");
        CliRunner.RunOk("deploy", envs.Reference("v1"), "--prefix", destination, "--cache-dir", envs.Work.Combine("same-tag", "cache1"), "-q");
        var receipt = File.ReadAllBytes(Path.Combine(destination, Receipt.RelativePath));
        var emptyCache = envs.Work.Combine("same-tag", "cache2");

        var again = CliRunner.RunOk("deploy", envs.Reference("v1"), "--prefix", destination, "--replace", "--cache-dir", emptyCache, "--json");

        using var json = JsonDocument.Parse(again.StdOut);
        Assert.False(json.RootElement.GetProperty("changed").GetBoolean());
        var transfer = json.RootElement.GetProperty("transfer");
        Assert.Equal(envs.ManifestBytes("v1").Content.Length + envs.V1.Config.Size, transfer.GetProperty("bytes_fetched").GetInt64());
        Assert.Empty(transfer.GetProperty("layers").EnumerateArray());
        Assert.Equal(receipt, File.ReadAllBytes(Path.Combine(destination, Receipt.RelativePath)));
        Assert.False(Directory.Exists(DeployLayout.For(destination).Previous));
        Assert.True(!Directory.Exists(Path.Combine(emptyCache, "blobs", "sha256")) || !Directory.EnumerateFileSystemEntries(Path.Combine(emptyCache, "blobs", "sha256")).Any());
    }

    [Fact]
    public void A_dry_run_reads_every_layer_and_writes_nothing_at_DEST()
    {
        var parent = envs.Work.CreateDirectory("dry-run");
        var destination = Path.Combine(parent, "env");

        var dry = CliRunner.RunOk("deploy", envs.Reference("v2"), "--prefix", destination, "--dry-run", "--no-cache", "--json");

        using var json = JsonDocument.Parse(dry.StdOut);
        var transfer = json.RootElement.GetProperty("transfer");
        Assert.Equal(envs.V2.Layers.Count, transfer.GetProperty("layers").GetArrayLength());
        Assert.Equal(transfer.GetProperty("bytes_total").GetInt64(), transfer.GetProperty("bytes_fetched").GetInt64());
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    [Fact]
    public void A_skopeo_copy_into_an_image_layout_deploys_with_the_same_manifest()
    {
        var layout = envs.Work.Combine("skopeo-layout");
        var copy = ProcessRunner.Run("skopeo", ["copy", "--src-tls-verify=false", $"docker://{envs.Registry.Host}/envs/demo:v1", $"oci:{layout}:v1"]);
        Assert.True(copy.ExitCode == 0, copy.StdErr);
        var destination = envs.Work.Combine("from-layout", "env");

        CliRunner.RunOk("deploy", $"oci-layout:{layout}:v1", "--prefix", destination, "--no-cache", "-q");

        var receipt = Receipt.Load(destination);
        Assert.Equal(envs.V1.Config.Digest["sha256:".Length..], receipt.ManifestSha256);
        Assert.EndsWith("@" + envs.ManifestBytes("v1").Digest, receipt.ArchivePath, StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
    }

    [Fact]
    public void A_skopeo_copy_to_another_repository_deploys_with_the_same_manifest_digest_in_the_receipt()
    {
        var copy = ProcessRunner.Run("skopeo", ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", $"docker://{envs.Registry.Host}/envs/demo:v1", $"docker://{envs.Registry.Host}/mirror/demo:v1"]);
        Assert.True(copy.ExitCode == 0, copy.StdErr);
        var original = envs.Work.Combine("orig-repo", "env");
        var mirrored = envs.Work.Combine("mirror-repo", "env");

        CliRunner.RunOk("deploy", envs.Reference("v1"), "--prefix", original, "--no-cache", "-q");
        CliRunner.RunOk("deploy", envs.Reference("v1", "mirror/demo"), "--prefix", mirrored, "--no-cache", "-q");

        var digest = envs.ManifestBytes("v1").Digest;
        Assert.Equal($"oci://{envs.Registry.Host}/envs/demo@{digest}", Receipt.Load(original).ArchivePath);
        Assert.Equal($"oci://{envs.Registry.Host}/mirror/demo@{digest}", Receipt.Load(mirrored).ArchivePath);
        Assert.Equal(Receipt.Load(original).ManifestSha256, Receipt.Load(mirrored).ManifestSha256);
        Assert.Equal(0, CliRunner.Run("verify", mirrored).ExitCode);
    }
}
