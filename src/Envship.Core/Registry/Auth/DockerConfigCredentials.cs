using System.Text.Json.Nodes;

namespace Envship.Core.Registry.Auth;

/// <summary>
/// Credentials as docker finds them: <c>credHelpers[HOST]</c>, else <c>credsStore</c> (both through
/// <c>docker-credential-NAME get</c>), else <c>auths[HOST]</c> in the config file.
/// </summary>
public sealed class DockerConfigCredentials(string? configPath = null) : ICredentialSource
{
    public string ConfigPath { get; } = DockerConfig.ResolvePath(configPath);

    public async Task<RegistryCredential?> GetAsync(string registry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var config = DockerConfig.Load(ConfigPath);
        var helper = HelperFor(config, registry);
        if (helper is not null)
        {
            var fromHelper = await CredentialHelper.GetAsync(helper, DockerConfig.CredentialKey(registry), cancellationToken).ConfigureAwait(false);
            if (fromHelper is not null)
            {
                return fromHelper;
            }
        }

        var auths = config["auths"] as JsonObject;
        var key = DockerConfig.FindAuthKey(auths, registry);
        return key is not null && auths![key] is JsonObject entry ? DockerConfig.FromAuthEntry(entry, ConfigPath) : null;
    }

    /// <summary>The helper name (the NAME of <c>docker-credential-NAME</c>) that holds <paramref name="registry"/>'s credential, if any.</summary>
    public static string? HelperFor(JsonObject config, string registry)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config["credHelpers"] is JsonObject helpers)
        {
            foreach (var (key, value) in helpers)
            {
                if (DockerConfig.KeyNames(key, registry) && DockerConfig.Text(value) is { Length: > 0 } name)
                {
                    return name;
                }
            }
        }

        return DockerConfig.Text(config["credsStore"]) is { Length: > 0 } store ? store : null;
    }
}

/// <summary>Where a remote operation's credentials come from.</summary>
public static class CredentialSources
{
    /// <summary><c>-u</c>/<c>--password</c> overrides when given, else the docker config.</summary>
    public static ICredentialSource For(Transport.RemoteOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Username is not null)
        {
            return new FixedCredentialSource(new RegistryCredential(options.Username, options.Password ?? "", null, "the command line"));
        }

        return new DockerConfigCredentials(options.DockerConfigPath);
    }
}
