using System.Text;
using System.Text.Json.Nodes;

namespace Envship.Core.Registry.Auth;

/// <summary>
/// docker's <c>config.json</c> as docker, podman, oras and skopeo share it: <c>auths</c> (base64 <c>user:pass</c> in
/// <c>auth</c>, or <c>identitytoken</c>), <c>credsStore</c> and <c>credHelpers</c>. Entries envship does not know are kept.
/// </summary>
public static class DockerConfig
{
    /// <summary><paramref name="overridePath"/>, else <c>$DOCKER_CONFIG/config.json</c>, else <c>~/.docker/config.json</c>.</summary>
    public static string ResolvePath(string? overridePath)
    {
        if (!string.IsNullOrEmpty(overridePath))
        {
            return overridePath;
        }

        var dir = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
        if (string.IsNullOrEmpty(dir))
        {
            dir = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        }

        return Path.Combine(dir, "config.json");
    }

    /// <summary>The file as a JSON object; an empty one when it does not exist.</summary>
    public static JsonObject Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EnvshipException(ExitCode.IoFailure, $"cannot read the docker config {path} ({ex.Message}): fix its permissions, or point DOCKER_CONFIG elsewhere.", ex);
        }

        try
        {
            return string.IsNullOrWhiteSpace(text) ? [] : JsonNode.Parse(text) as JsonObject ?? throw new System.Text.Json.JsonException("not an object");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new EnvshipException(ExitCode.Usage, $"the docker config {path} is not a JSON object ({ex.Message}): repair it, or point DOCKER_CONFIG elsewhere.", ex);
        }
    }

    /// <summary>Docker Hub's credential key, as docker writes it; the Hub's API lives on another host.</summary>
    public const string DockerHubKey = "https://index.docker.io/v1/";

    private static readonly string[] DockerHubNames = ["docker.io", "index.docker.io", "registry-1.docker.io"];

    public static bool IsDockerHub(string registry) => DockerHubNames.Contains(NormalizeHost(registry), StringComparer.OrdinalIgnoreCase);

    /// <summary>What the config and credential helpers call <paramref name="registry"/>: the host itself, or <see cref="DockerHubKey"/> for Docker Hub.</summary>
    public static string CredentialKey(string registry) => IsDockerHub(registry) ? DockerHubKey : registry;

    /// <summary>Whether a key of <c>auths</c> or <c>credHelpers</c> names <paramref name="registry"/>: exact, or with a scheme and path as old docker versions wrote it.</summary>
    public static bool KeyNames(string key, string registry) =>
        IsDockerHub(registry) ? IsDockerHub(key) : string.Equals(NormalizeHost(key), registry, StringComparison.OrdinalIgnoreCase);

    /// <summary>The key in <c>auths</c> that names <paramref name="registry"/>.</summary>
    public static string? FindAuthKey(JsonObject? auths, string registry)
    {
        if (auths is null)
        {
            return null;
        }

        var exact = CredentialKey(registry);
        return auths.ContainsKey(exact) ? exact : auths.Select(p => p.Key).FirstOrDefault(key => KeyNames(key, registry));
    }

    /// <summary>A string value of the config, or null when it is absent or not a string (a hand-edited file).</summary>
    public static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary><c>https://host:port/v1/</c> → <c>host:port</c>.</summary>
    public static string NormalizeHost(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var host = key;
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            host = host[(scheme + 3)..];
        }

        var slash = host.IndexOf('/', StringComparison.Ordinal);
        return slash >= 0 ? host[..slash] : host;
    }

    /// <summary>The credential in an <c>auths</c> entry, or null when it holds none (e.g. <c>{}</c> beside a credsStore).</summary>
    public static RegistryCredential? FromAuthEntry(JsonObject entry, string source)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var identity = Text(entry["identitytoken"]);
        string? user = null, password = null;
        if (Text(entry["auth"]) is { Length: > 0 } encoded)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            }
            catch (FormatException ex)
            {
                throw new EnvshipException(ExitCode.RegistryAuth, $"the 'auth' entry in {source} is not base64 of USER:PASSWORD: log in again with 'envship login HOST -u USER --password-stdin'.", ex);
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                throw new EnvshipException(ExitCode.RegistryAuth, $"the 'auth' entry in {source} has no ':' between user and password: log in again with 'envship login HOST -u USER --password-stdin'.");
            }

            user = decoded[..colon];
            password = decoded[(colon + 1)..];
        }
        else if (Text(entry["username"]) is { Length: > 0 } u)
        {
            user = u;
            password = Text(entry["password"]);
        }

        if (user is null && string.IsNullOrEmpty(identity))
        {
            return null;
        }

        return new RegistryCredential(user, password, string.IsNullOrEmpty(identity) ? null : identity, source);
    }
}
