using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Envship.Core.Registry.Transport;

namespace Envship.Core.Registry.Auth;

/// <summary>What <c>envship login</c> did: where the credential went, and whether the registry checked it.</summary>
public sealed record LoginResult(string Registry, string Username, string SavedIn, bool Checked);

/// <summary>What <c>envship logout</c> did: whether a credential was removed, and from where.</summary>
public sealed record LogoutResult(string Registry, bool Removed, string From);

/// <summary>
/// <c>envship login</c> and <c>logout</c>: check a credential against the registry's <c>/v2/</c>, then store it where
/// docker would (the host's credential helper, else <c>auths</c> in <c>config.json</c>, written 0600, other entries kept).
/// </summary>
public static class RegistryLogin
{
    /// <summary>The registry host in <paramref name="text"/>: <c>HOST[:PORT]</c>, or the host of an <c>oci://</c> reference.</summary>
    public static string ParseRegistry(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var candidate = text;
        if (OciReference.IsOciReference(candidate))
        {
            candidate = candidate[OciReference.Scheme.Length..];
        }

        var slash = candidate.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            candidate = candidate[..slash];
        }

        if (candidate.Length == 0 || !OciReference.TryParse($"{OciReference.Scheme}{candidate}/x", out _))
        {
            throw new EnvshipException(ExitCode.Usage, $"'{text}' is not a registry: give HOST or HOST:PORT, e.g. registry.example.com or 127.0.0.1:5000.");
        }

        return candidate;
    }

    public static async Task<LoginResult> LoginAsync(string registry, string username, string password, RemoteOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentNullException.ThrowIfNull(password);
        var credential = new RegistryCredential(username, password, null, "the command line");
        bool checkedByRegistry;
        using (var client = RegistryClient.Create(registry, options, new FixedCredentialSource(credential)))
        {
            checkedByRegistry = await client.CheckCredentialsAsync(cancellationToken).ConfigureAwait(false);
        }

        var path = DockerConfig.ResolvePath(options.DockerConfigPath);
        var config = DockerConfig.Load(path);
        var helper = DockerConfigCredentials.HelperFor(config, registry);
        if (helper is not null)
        {
            await CredentialHelper.StoreAsync(helper, DockerConfig.CredentialKey(registry), username, password, cancellationToken).ConfigureAwait(false);
            return new LoginResult(registry, username, CredentialHelper.ProgramName(helper), checkedByRegistry);
        }

        var auths = config["auths"] as JsonObject;
        if (auths is null)
        {
            auths = [];
            config["auths"] = auths;
        }

        var key = DockerConfig.FindAuthKey(auths, registry) ?? DockerConfig.CredentialKey(registry);
        auths[key] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")) };
        Save(path, config);
        return new LoginResult(registry, username, path, checkedByRegistry);
    }

    public static async Task<LogoutResult> LogoutAsync(string registry, RemoteOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = DockerConfig.ResolvePath(options.DockerConfigPath);
        var config = DockerConfig.Load(path);
        var helper = DockerConfigCredentials.HelperFor(config, registry);
        var removed = false;
        var from = path;
        if (helper is not null)
        {
            removed = await CredentialHelper.EraseAsync(helper, DockerConfig.CredentialKey(registry), cancellationToken).ConfigureAwait(false);
            from = CredentialHelper.ProgramName(helper);
        }

        if (config["auths"] is JsonObject auths && DockerConfig.FindAuthKey(auths, registry) is { } key)
        {
            removed |= auths[key] is JsonObject entry && DockerConfig.FromAuthEntry(entry, path) is not null;
            auths.Remove(key);
            Save(path, config);
        }

        return new LogoutResult(registry, removed, from);
    }

    /// <summary>Writes the config beside itself and renames it over, so a crash leaves the old file or the new one, never half of one; mode 0600.</summary>
    private static void Save(string path, JsonObject config)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.envship-{Environment.ProcessId}.tmp");
        try
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using (var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
                config.WriteTo(writer);
                writer.Flush();
                stream.Write("\n"u8);
                stream.Flush(flushToDisk: true);
            }

            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw new EnvshipException(ExitCode.IoFailure, $"cannot write the docker config {path} ({ex.Message}): fix the permissions of {directory}, or point DOCKER_CONFIG elsewhere.", ex);
        }
    }
}
