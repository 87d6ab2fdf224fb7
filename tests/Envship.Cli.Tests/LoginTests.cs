using System.Text;
using System.Text.Json.Nodes;
using Envship.Testing;
using Envship.Testing.Registry;

namespace Envship.Cli.Tests;

/// <summary><c>envship login</c> and <c>logout</c> as a user runs them: the password piped on stdin, the docker config in DOCKER_CONFIG.</summary>
public sealed class LoginTests
{
    [Fact]
    public void Login_checks_basic_credentials_then_writes_the_docker_config_0600_keeping_other_entries_and_logout_removes_it()
    {
        using var registry = RegistryServer.StartWithBasicAuth("ci", "right-pass");
        using var dir = new TempDirectory();
        var config = dir.WriteFile("docker/config.json", """{"auths":{"other.example.com":{"auth":"b3RoZXI6c2VjcmV0"}},"psFormat":"table {{.ID}}"}""");

        var login = Login(dir, registry.Host, "ci", "right-pass", "--json");

        Assert.True(login.ExitCode == 0, login.StdErr);
        var answer = JsonNode.Parse(login.StdOut)!;
        Assert.Equal(registry.Host, (string?)answer["registry"]);
        Assert.True((bool)answer["checked"]!);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        var written = JsonNode.Parse(File.ReadAllText(config))!;
        Assert.Equal("ci:right-pass", Encoding.UTF8.GetString(Convert.FromBase64String((string)written["auths"]![registry.Host]!["auth"]!)));
        Assert.Equal("b3RoZXI6c2VjcmV0", (string?)written["auths"]!["other.example.com"]!["auth"]);
        Assert.Equal("table {{.ID}}", (string?)written["psFormat"]);

        var logout = Envship(dir, "", "logout", registry.Host);

        Assert.True(logout.ExitCode == 0, logout.StdErr);
        Assert.Contains($"Removed the credential for {registry.Host}", logout.StdOut, StringComparison.Ordinal);
        var after = JsonNode.Parse(File.ReadAllText(config))!;
        Assert.Null(after["auths"]![registry.Host]);
        Assert.NotNull(after["auths"]!["other.example.com"]);
    }

    [Fact]
    public void With_a_credsStore_login_hands_the_credential_to_the_helper_and_logout_erases_it_there()
    {
        using var registry = RegistryServer.StartWithBasicAuth("ci", "right-pass");
        using var dir = new TempDirectory();
        var calls = dir.Combine("calls");
        var helper = dir.WriteFile("bin/docker-credential-envshiptest", $$"""
            #!/bin/sh
            printf '%s ' "$1" >> '{{calls}}'
            cat >> '{{calls}}'
            echo >> '{{calls}}'
            """);
        File.SetUnixFileMode(helper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = dir.WriteFile("docker/config.json", """{"credsStore":"envshiptest"}""");
        var path = dir.Combine("bin") + ":" + Environment.GetEnvironmentVariable("PATH");

        var login = Envship(dir, "right-pass", ["login", registry.Host, "-u", "ci", "--password-stdin"], path);
        var logout = Envship(dir, "", ["logout", registry.Host], path);

        Assert.True(login.ExitCode == 0, login.StdErr);
        Assert.Contains("docker-credential-envshiptest", login.StdOut, StringComparison.Ordinal);
        Assert.True(logout.ExitCode == 0, logout.StdErr);
        var lines = File.ReadAllLines(calls);
        Assert.Equal(2, lines.Length);
        var stored = JsonNode.Parse(lines[0]["store ".Length..])!;
        Assert.Equal(registry.Host, (string?)stored["ServerURL"]);
        Assert.Equal("ci", (string?)stored["Username"]);
        Assert.Equal("right-pass", (string?)stored["Secret"]);
        Assert.Equal($"erase {registry.Host}", lines[1].TrimEnd());
        Assert.DoesNotContain("right-pass", File.ReadAllText(config), StringComparison.Ordinal);
    }

    [Fact]
    public void Login_gets_a_bearer_token_from_the_registrys_token_server()
    {
        using var issuer = new TokenIssuer("ci", "token-pass");
        using var registry = RegistryServer.StartWithAuthConfig(issuer.AuthConfig);
        using var dir = new TempDirectory();

        var login = Login(dir, registry.Host, "ci", "token-pass");

        Assert.True(login.ExitCode == 0, login.StdErr);
        Assert.Contains($"Logged in to {registry.Host} as ci", login.StdOut, StringComparison.Ordinal);
        Assert.Single(issuer.Requests);
        Assert.True(File.Exists(dir.Combine("docker", "config.json")));
    }

    [Fact]
    public void Login_with_a_wrong_password_exits_30_naming_the_host_and_writes_nothing()
    {
        using var registry = RegistryServer.StartWithBasicAuth("ci", "right-pass");
        using var dir = new TempDirectory();

        var login = Login(dir, registry.Host, "ci", "wrong-pass");

        Assert.Equal(30, login.ExitCode);
        Assert.StartsWith("envship: error: ", login.StdErr, StringComparison.Ordinal);
        Assert.Contains($"{registry.Host} refused user ci", login.StdErr, StringComparison.Ordinal);
        Assert.Contains($"envship login {registry.Host}", login.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.Combine("docker", "config.json")));
    }

    [Fact]
    public void Login_to_a_closed_port_exits_31_naming_the_host()
    {
        using var dir = new TempDirectory();
        var port = ClosedPort();

        var login = Login(dir, $"127.0.0.1:{port}", "ci", "pass");

        Assert.Equal(31, login.ExitCode);
        Assert.Contains($"127.0.0.1:{port} refused the connection", login.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Login_to_a_server_that_is_no_registry_exits_32()
    {
        using var notARegistry = new LoopbackHttpServer(_ => LoopbackResponse.Text(404, "404 page not found"));
        using var dir = new TempDirectory();

        var login = Login(dir, $"127.0.0.1:{notARegistry.Port}", "ci", "pass");

        Assert.Equal(32, login.ExitCode);
        Assert.Contains("has no registry API at /v2/", login.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Login_without_password_stdin_is_a_usage_error_that_shows_how()
    {
        var result = CliRunner.Run("login", "127.0.0.1:5000", "-u", "ci");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--password-stdin", result.StdErr, StringComparison.Ordinal);
    }

    private static ProcessResult Login(TempDirectory dir, string host, string user, string password, params string[] extra) =>
        Envship(dir, password, ["login", host, "-u", user, "--password-stdin", .. extra]);

    private static ProcessResult Envship(TempDirectory dir, string stdin, params string[] args) => Envship(dir, stdin, args, null);

    /// <summary>Runs the built envship with <paramref name="stdin"/> piped in and DOCKER_CONFIG inside <paramref name="dir"/>.</summary>
    private static ProcessResult Envship(TempDirectory dir, string stdin, string[] args, string? path) =>
        CliRunner.RunWithStdin(stdin, args, new Dictionary<string, string?>
        {
            ["DOCKER_CONFIG"] = dir.Combine("docker"),
            ["PATH"] = path ?? Environment.GetEnvironmentVariable("PATH"),
        });

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
