using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Testing;
using Envship.Testing.Registry;

namespace Envship.Cli.Tests.Registry;

/// <summary>
/// Push and deploy as a fleet runs them, through registries that want credentials: htpasswd (Basic)
/// and distribution's token auth (Bearer from a loopback issuer), with the credential stored by
/// <c>envship login</c> in DOCKER_CONFIG.
/// </summary>
public sealed class AuthenticatedFleetTests(TinyEnvironment env) : IClassFixture<TinyEnvironment>
{
    [Fact]
    public void Basic_auth_push_and_deploy_work_after_login_and_fail_clearly_without_it()
    {
        using var registry = RegistryServer.StartWithBasicAuth("ci", "right-pass");
        PushAndDeploy(registry.Host, "ci", "right-pass");
    }

    [Fact]
    public void Bearer_token_push_and_deploy_work_after_login_and_fail_clearly_without_it()
    {
        using var issuer = new TokenIssuer("ci", "token-pass");
        using var registry = RegistryServer.StartWithAuthConfig(issuer.AuthConfig);
        PushAndDeploy(registry.Host, "ci", "token-pass");
    }

    private void PushAndDeploy(string host, string user, string password)
    {
        using var dir = new TempDirectory();
        var reference = $"oci://{host}/team/tiny:v1";
        var destination = dir.Combine("dest", "tiny");

        var anonymousPush = Envship(dir, "", "push", env.TarZst, reference);
        Assert.Equal((int)ExitCode.RegistryAuth, anonymousPush.ExitCode);
        Assert.Contains(host, anonymousPush.StdErr, StringComparison.Ordinal);
        Assert.Contains("envship login", anonymousPush.StdErr, StringComparison.Ordinal);

        var wrong = Envship(dir, "wrong-pass", "login", host, "-u", user, "--password-stdin");
        Assert.Equal((int)ExitCode.RegistryAuth, wrong.ExitCode);
        Assert.False(File.Exists(dir.Combine("docker", "config.json")), "a refused login stores nothing");

        var login = Envship(dir, password, "login", host, "-u", user, "--password-stdin");
        Assert.True(login.ExitCode == 0, login.StdErr);

        var push = Envship(dir, "", "push", env.TarZst, reference, "-q");
        Assert.True(push.ExitCode == 0, push.StdErr);
        Assert.StartsWith("sha256:", push.StdOut.Trim(), StringComparison.Ordinal);

        var copy = Envship(dir, "", "push", env.TarZst, $"oci://{host}/team/copy:v1", "--mount-from", "team/tiny", "--json");
        Assert.True(copy.ExitCode == 0, copy.StdErr);
        var copied = System.Text.Json.Nodes.JsonNode.Parse(copy.StdOut)!;
        Assert.All(copied["layers"]!.AsArray(), layer => Assert.Equal("mounted", ((string?)layer!["outcome"])?.ToLowerInvariant()));
        Assert.Equal(push.StdOut.Trim(), (string?)copied["digest"]);

        var deploy = Envship(dir, "", "deploy", reference, "--prefix", destination, "--no-cache", "-q");
        Assert.True(deploy.ExitCode == 0, deploy.StdErr);
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);

        var missing = Envship(dir, "", "deploy", $"oci://{host}/team/tiny:no-such-tag", "--prefix", dir.Combine("dest", "missing"), "--no-cache");
        Assert.Equal((int)ExitCode.RemoteNotFound, missing.ExitCode);
        Assert.Contains("no-such-tag", missing.StdErr, StringComparison.Ordinal);

        var logout = Envship(dir, "", "logout", host);
        Assert.True(logout.ExitCode == 0, logout.StdErr);
        var elsewhere = dir.Combine("dest", "again");
        var anonymousDeploy = Envship(dir, "", "deploy", reference, "--prefix", elsewhere, "--no-cache");
        Assert.Equal((int)ExitCode.RegistryAuth, anonymousDeploy.ExitCode);
        Assert.Contains("envship login", anonymousDeploy.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(elsewhere));
    }

    private static ProcessResult Envship(TempDirectory dir, string stdin, params string[] args) =>
        CliRunner.RunWithStdin(stdin, args, new Dictionary<string, string?>
        {
            ["DOCKER_CONFIG"] = dir.Combine("docker"),
            ["XDG_CACHE_HOME"] = dir.Combine("cache"),
        });
}
