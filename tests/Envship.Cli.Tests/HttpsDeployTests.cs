using System.Text.Json;
using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Core.Deploy;
using Envship.Testing;
using Envship.Testing.Http;
using Envship.Testing.Registry;

namespace Envship.Cli.Tests;

/// <summary>Issue 13, acceptance 6: <c>envship deploy https://…</c> from a loopback server with a test CA, drops, resumes and signatures.</summary>
public sealed class HttpsDeployTests : IClassFixture<ReplaceArchives>, IDisposable
{
    private const string Name = "env.tar.zst";
    private readonly ReplaceArchives _archives;
    private readonly TestCertificates _certificates = TestCertificates.Create();
    private readonly ArchiveHttpServer _server;
    private readonly string _work;
    private readonly string _caFile;
    private readonly string _cache;

    public HttpsDeployTests(ReplaceArchives archives)
    {
        _archives = archives;
        _server = new ArchiveHttpServer(_certificates.Server);
        _work = archives.Work.CreateDirectory("https-" + Guid.NewGuid().ToString("N")[..8]);
        _caFile = Path.Combine(_work, "ca.pem");
        File.WriteAllText(_caFile, _certificates.CaPem);
        _cache = Directory.CreateDirectory(Path.Combine(_work, "cache")).FullName;
    }

    private string Url => _server.Url(Name);
    private string Downloads => Path.Combine(_cache, "envship", "downloads");

    [Fact]
    public void Deploys_over_https_with_ca_file_verifies_and_records_the_url()
    {
        _server.Files[Name] = ServedFile.Of(_archives.A);
        var destination = Path.Combine(_work, "ok", "env");

        var result = Envship("deploy", Url, "--prefix", destination, "--ca-file", _caFile);

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Contains($"downloaded {Url}", result.StdErr, StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
        Assert.Equal(Url, Receipt.Load(destination).ArchivePath);
        Assert.Contains(Url, CliRunner.RunOk("history", destination).StdOut, StringComparison.Ordinal);
        Assert.Equal(LocalDigest(_archives.A), Receipt.Load(destination).ManifestSha256);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Downloads));
        Assert.Equal(["env"], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(destination)!).Select(Path.GetFileName));
    }

    [Fact]
    public void Without_the_ca_file_the_tls_failure_is_exit_31_naming_ca_file()
    {
        _server.Files[Name] = ServedFile.Of(_archives.A);
        var parent = Directory.CreateDirectory(Path.Combine(_work, "untrusted")).FullName;

        var result = Envship("deploy", Url, "--prefix", Path.Combine(parent, "env"));

        Assert.Equal((int)ExitCode.RemoteUnavailable, result.ExitCode);
        Assert.Contains("TLS", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("--ca-file", result.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    [Fact]
    public void A_cut_mid_transfer_resumes_with_range_and_if_range()
    {
        var served = ServedFile.Of(_archives.A);
        _server.Files[Name] = served;
        var half = served.Content.Length / 2;
        _server.CutAt(half, times: 1);
        var destination = Path.Combine(_work, "resumed", "env");

        var result = Envship("deploy", Url, "--prefix", destination, "--ca-file", _caFile, "--json");

        Assert.True(result.ExitCode == 0, result.StdErr);
        var requests = _server.Requests.ToList();
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Header("Range"));
        Assert.Equal(half, requests[0].BytesSent);
        Assert.Equal($"bytes={half}-", requests[1].Header("Range"));
        Assert.Equal(served.ETag, requests[1].Header("If-Range"));
        Assert.Equal(206, requests[1].Status);
        Assert.Equal(served.Content.Length - half, requests[1].BytesSent);
        using var json = JsonDocument.Parse(result.StdOut);
        Assert.Equal(1, json.RootElement.GetProperty("download").GetProperty("resumed").GetInt32());
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
    }

    [Fact]
    public void A_transfer_that_always_drops_fails_with_31_leaves_nothing_and_the_next_run_resumes()
    {
        var served = ServedFile.Of(_archives.A);
        _server.Files[Name] = served;
        var half = served.Content.Length / 2;
        _server.CutAt(half, times: int.MaxValue);
        var parent = Directory.CreateDirectory(Path.Combine(_work, "dropped")).FullName;
        var destination = Path.Combine(parent, "env");

        var failed = Envship("deploy", Url, "--prefix", destination, "--ca-file", _caFile);

        Assert.Equal((int)ExitCode.RemoteUnavailable, failed.ExitCode);
        Assert.Contains("running the same command again resumes", failed.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
        var part = Assert.Single(Directory.EnumerateFiles(Downloads, "*.part", SearchOption.AllDirectories));
        Assert.Equal(half, new FileInfo(part).Length);

        _server.CutAt(long.MaxValue, times: 0);
        var before = _server.Requests.Count;
        var resumed = Envship("deploy", Url, "--prefix", destination, "--ca-file", _caFile);

        Assert.True(resumed.ExitCode == 0, resumed.StdErr);
        var next = _server.Requests.Skip(before).ToList();
        Assert.Equal($"bytes={half}-", Assert.Single(next).Header("Range"));
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Downloads));
    }

    [Fact]
    public void A_file_changed_on_the_server_between_requests_is_fetched_anew_not_spliced()
    {
        var first = ServedFile.Of(_archives.A);
        var second = ServedFile.Of(_archives.B);
        _server.Files[Name] = first;
        _server.CutAt(first.Content.Length / 2, times: 1);
        _server.AfterRequest = count =>
        {
            if (count == 1)
            {
                _server.Files[Name] = second;
            }
        };
        var destination = Path.Combine(_work, "changed", "env");

        var result = Envship("deploy", Url, "--prefix", destination, "--ca-file", _caFile);

        Assert.True(result.ExitCode == 0, result.StdErr);
        var requests = _server.Requests.ToList();
        Assert.Equal(first.ETag, requests[1].Header("If-Range"));
        Assert.Equal(200, requests[1].Status);
        Assert.Equal(second.Content.Length, requests[1].BytesSent);
        Assert.Equal(LocalDigest(_archives.B), Receipt.Load(destination).ManifestSha256);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
    }

    [Fact]
    public void A_second_deploy_of_the_same_url_reads_only_the_head_and_is_unchanged()
    {
        var served = ServedFile.Of(_archives.A);
        _server.Files[Name] = served;
        var destination = Path.Combine(_work, "again", "env");
        Assert.Equal(0, Envship("deploy", Url, "--prefix", destination, "--ca-file", _caFile, "-q").ExitCode);
        var tree = TreeSnapshot.Take(destination);
        var before = _server.Requests.Count;

        var again = Envship("deploy", Url, "--prefix", destination, "--ca-file", _caFile, "--replace", "--json");

        Assert.True(again.ExitCode == 0, again.StdErr);
        using var json = JsonDocument.Parse(again.StdOut);
        Assert.False(json.RootElement.GetProperty("changed").GetBoolean());
        var download = json.RootElement.GetProperty("download");
        Assert.True(download.GetProperty("manifest_only").GetBoolean());
        Assert.InRange(download.GetProperty("bytes_received").GetInt64(), 1, served.Content.Length - 1);
        Assert.Single(_server.Requests.Skip(before));
        Assert.Equal(tree, TreeSnapshot.Take(destination));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Downloads));
    }

    [Fact]
    public void Signatures_come_from_url_minisig_good_missing_and_bad()
    {
        var publicKey = Path.Combine(_work, "key.pub");
        var secretKey = Path.Combine(_work, "key.sec");
        CliRunner.RunOk("keygen", "-W", "-p", publicKey, "-s", secretKey);
        var signedA = Path.Combine(_work, "a.tar.zst");
        var signedB = Path.Combine(_work, "b.tar.zst");
        File.Copy(_archives.A, signedA);
        File.Copy(_archives.B, signedB);
        CliRunner.RunOk("sign", "-s", secretKey, signedA);
        CliRunner.RunOk("sign", "-s", secretKey, signedB);
        _server.Files[Name] = ServedFile.Of(signedA);

        var missingParent = Directory.CreateDirectory(Path.Combine(_work, "sig-missing")).FullName;
        var missing = Envship("deploy", Url, "--prefix", Path.Combine(missingParent, "env"), "--ca-file", _caFile, "--verify-key", publicKey, "--require-signature");
        Assert.Equal((int)ExitCode.SignatureMissing, missing.ExitCode);
        Assert.Contains(Url + ".minisig", missing.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(missingParent));
        Assert.DoesNotContain(_server.Requests, r => r.Path == "/" + Name);

        _server.Files[Name + ".minisig"] = ServedFile.Of(signedB + ".minisig");
        var badParent = Directory.CreateDirectory(Path.Combine(_work, "sig-bad")).FullName;
        var bad = Envship("deploy", Url, "--prefix", Path.Combine(badParent, "env"), "--ca-file", _caFile, "--verify-key", publicKey, "--require-signature");
        Assert.Equal((int)ExitCode.BadSignature, bad.ExitCode);
        Assert.Contains(Url, bad.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(badParent));

        _server.Files[Name + ".minisig"] = ServedFile.Of(signedA + ".minisig");
        var destination = Path.Combine(_work, "sig-good", "env");
        var good = Envship("deploy", Url, "--prefix", destination, "--ca-file", _caFile, "--verify-key", publicKey, "--require-signature");
        Assert.True(good.ExitCode == 0, good.StdErr);
        Assert.Contains("signature good", good.StdErr, StringComparison.Ordinal);
        Assert.NotNull(Receipt.Load(destination).SignerKeyId);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Downloads));
    }

    [Fact]
    public void Plain_http_is_refused_off_loopback_without_insecure_and_works_on_loopback()
    {
        var refused = CliRunner.Run("deploy", "http://example.invalid/env.tar.zst", "--prefix", Path.Combine(_work, "plain-refused", "env"));
        Assert.Equal((int)ExitCode.Usage, refused.ExitCode);
        Assert.Contains("--insecure", refused.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_work, "plain-refused")));

        using var plain = new ArchiveHttpServer(null);
        plain.Files[Name] = ServedFile.Of(_archives.A);
        var destination = Path.Combine(_work, "plain", "env");
        var result = Envship("deploy", plain.Url(Name), "--prefix", destination);
        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);
    }

    [Fact]
    public void A_missing_file_is_exit_32()
    {
        var parent = Directory.CreateDirectory(Path.Combine(_work, "missing")).FullName;

        var result = Envship("deploy", _server.Url("nothing.tar.zst"), "--prefix", Path.Combine(parent, "env"), "--ca-file", _caFile);

        Assert.Equal((int)ExitCode.RemoteNotFound, result.ExitCode);
        Assert.Contains("404", result.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    public void Dispose()
    {
        _server.Dispose();
        _certificates.Dispose();
    }

    private ProcessResult Envship(params string[] args) =>
        CliRunner.RunProcess(args, new Dictionary<string, string?> { ["XDG_CACHE_HOME"] = _cache });

    private static string LocalDigest(string archive)
    {
        using var reader = Core.Archive.ArchiveReader.Open(archive);
        return reader.ManifestSha256;
    }
}
