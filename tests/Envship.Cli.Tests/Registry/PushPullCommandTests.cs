using System.Text.Json;
using Envship.Testing;
using Envship.Testing.Registry;

namespace Envship.Cli.Tests.Registry;

/// <summary><c>envship push</c> and <c>envship pull</c> against docker-registry 2.8 and image layouts.</summary>
public sealed class PushPullCommandTests(Xunit.Abstractions.ITestOutputHelper log)
{
    [Fact]
    public void Push_v1_then_v2_to_a_registry_sends_only_the_changes_and_pull_gives_back_a_deployable_archive()
    {
        using var work = new TempDirectory();
        using var registry = RegistryServer.StartAnonymous();
        var built = VersionedEnvironment.BuildV1(work.Combine("env"), work.Combine("pkgs"));
        var destination = $"oci://{registry.Host}/team/env";

        using var first = JsonDocument.Parse(CliRunner.RunOk("push", "-p", built.Prefix, destination + ":v1", "--json").StdOut);
        VersionedEnvironment.UpgradeToV2(built);
        CliRunner.RunOk("pack", "-p", built.Prefix, "-o", work.Combine("v2.tar.zst"), "-q");
        using var second = JsonDocument.Parse(CliRunner.RunOk("push", work.Combine("v2.tar.zst"), destination + ":v2", "--tag", "latest", "--json").StdOut);

        var v1Layers = Layers(first).ToDictionary(l => l.Digest, l => l.Size);
        var v2Layers = Layers(second);
        Assert.All(Layers(first), l => Assert.Equal("uploaded", l.Outcome));
        var changed = v2Layers.Where(l => !v1Layers.ContainsKey(l.Digest)).ToList();
        Assert.Equal(["base", VersionedEnvironment.ZlibV2, "pip:beta-2.0"], changed.Select(l => l.Title).Order(StringComparer.Ordinal));
        Assert.All(changed, l => Assert.Equal("uploaded", l.Outcome));
        Assert.All(v2Layers.Except(changed), l => Assert.Equal("present", l.Outcome));
        var root = second.RootElement;
        log.WriteLine($"v1: {v1Layers.Count} layers, {first.RootElement.GetProperty("bytes_uploaded").GetInt64()} bytes uploaded in {first.RootElement.GetProperty("seconds").GetDouble()} s (pack included); "
            + $"v2: {v2Layers.Count} layers, {root.GetProperty("bytes_uploaded").GetInt64()} bytes uploaded, {root.GetProperty("bytes_skipped").GetInt64()} skipped in {root.GetProperty("seconds").GetDouble()} s");
        var digest = root.GetProperty("digest").GetString()!;
        var manifestSize = ProcessRunner.RunChecked("sh", ["-c", "skopeo inspect --raw --tls-verify=false \"$1\" | wc -c", "sh", $"docker://{registry.Host}/team/env:latest"]).StdOut.Trim();
        Assert.Equal(
            changed.Sum(l => l.Size) + root.GetProperty("config").GetProperty("size").GetInt64() + long.Parse(manifestSize, System.Globalization.CultureInfo.InvariantCulture),
            root.GetProperty("bytes_uploaded").GetInt64());
        Assert.Equal(v2Layers.Except(changed).Sum(l => l.Size), root.GetProperty("bytes_skipped").GetInt64());

        var pulled = work.Combine("pulled.tar.zst");
        CliRunner.RunOk("pull", destination + "@" + digest, "-o", pulled, "-q");
        var inspected = CliRunner.RunOk("inspect", pulled).StdOut;
        var packed = CliRunner.RunOk("inspect", work.Combine("v2.tar.zst")).StdOut;
        Assert.Equal(ManifestSha256(packed), ManifestSha256(inspected));
        Assert.Equal("sha256:" + ManifestSha256(inspected), root.GetProperty("config").GetProperty("digest").GetString());
        var listed = ProcessRunner.RunChecked("tar", ["--zstd", "-tf", pulled]).StdOut;
        Assert.Contains("lib/python3.12/site-packages/beta/__init__.py", listed, StringComparison.Ordinal);

        var deployed = work.Combine("deployed");
        CliRunner.RunOk("deploy", pulled, "--prefix", deployed, "-q");
        CliRunner.RunOk("verify", deployed);
        Assert.Contains("changed_in=v2", File.ReadAllText(Path.Combine(deployed, CondaPrefixBuilder.ExampleConf)), StringComparison.Ordinal);
    }

    [Fact]
    public void Pull_to_an_image_layout_copies_the_artifact_and_its_signature_and_push_to_one_works_offline()
    {
        using var work = new TempDirectory();
        var built = VersionedEnvironment.BuildV1(work.Combine("env"), work.Combine("pkgs"));
        CliRunner.RunOk("pack", "-p", built.Prefix, "-o", work.Combine("v1.tar.zst"), "-q");
        CliRunner.RunOk("keygen", "-W", "-p", work.Combine("k.pub"), "-s", work.Combine("k.key"));

        var pushed = CliRunner.RunOk("push", work.Combine("v1.tar.zst"), $"oci-layout:{work.Combine("first")}:v1", "--sign", work.Combine("k.key"), "-q").StdOut.Trim();
        Assert.StartsWith("sha256:", pushed, StringComparison.Ordinal);
        CliRunner.RunOk("pull", $"oci-layout:{work.Combine("first")}:v1", "--oci-layout", work.Combine("second"), "-q");

        var index = File.ReadAllText(work.Combine("second", "index.json"));
        Assert.Contains(pushed, index, StringComparison.Ordinal);
        Assert.Contains("application/vnd.envship.signature.v1", index, StringComparison.Ordinal);
        Assert.Equal(0, ProcessRunner.Run("skopeo", ["inspect", "--raw", $"oci:{work.Combine("second")}:v1"]).ExitCode);
    }

    [Theory]
    [InlineData("push", "only-one-argument.tar.zst")]
    [InlineData("push", "a.tar.zst", "not-a-reference")]
    [InlineData("pull", "oci-layout:/nonexistent")]
    public void Bad_invocations_are_usage_errors_or_not_found(params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode is 2 or 32, result.All);
    }

    [Fact]
    public void A_missing_tag_in_a_layout_is_remote_not_found()
    {
        using var work = new TempDirectory();
        var built = VersionedEnvironment.BuildV1(work.Combine("env"), work.Combine("pkgs"));
        CliRunner.RunOk("push", "-p", built.Prefix, $"oci-layout:{work.Combine("layout")}:v1", "-q");
        var result = CliRunner.Run("pull", $"oci-layout:{work.Combine("layout")}:v9", "-o", work.Combine("x.tar.zst"));
        Assert.Equal(32, result.ExitCode);
        Assert.Contains("v9", result.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(work.Combine("x.tar.zst")));
    }

    /// <summary>The digest from inspect's <c>manifest:      sha256 HEX (…)</c> line.</summary>
    private static string ManifestSha256(string inspectText) =>
        inspectText.Split('\n').Single(l => l.StartsWith("manifest:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];

    private static List<(string Title, string Digest, long Size, string Outcome)> Layers(JsonDocument push) =>
        [.. push.RootElement.GetProperty("layers").EnumerateArray().Select(l => (l.GetProperty("title").GetString()!, l.GetProperty("digest").GetString()!, l.GetProperty("size").GetInt64(), l.GetProperty("outcome").GetString()!))];
}
