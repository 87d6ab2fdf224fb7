namespace Envship.Core.Registry.Auth;

/// <summary>
/// What a registry accepts from us: a user name and password (or personal token), or an identity token
/// (an OAuth2 refresh token, docker's <c>identitytoken</c>). <see cref="Source"/> says where it came from, for messages.
/// </summary>
public sealed record RegistryCredential(string? Username, string? Password, string? IdentityToken, string Source)
{
    public bool HasPassword => !string.IsNullOrEmpty(Username) && Password is not null;

    public bool HasIdentityToken => !string.IsNullOrEmpty(IdentityToken);

    /// <summary>How messages name it, e.g. <c>user ci (from /home/u/.docker/config.json)</c>; never the secret.</summary>
    public string Describe() => HasIdentityToken && !HasPassword
        ? $"the identity token from {Source}"
        : $"user {Username} (from {Source})";

    public override string ToString() => Describe();
}

/// <summary>Looks up the credential for a registry host (<c>HOST[:PORT]</c>); null when there is none.</summary>
public interface ICredentialSource
{
    Task<RegistryCredential?> GetAsync(string registry, CancellationToken cancellationToken);
}

/// <summary>One fixed credential, e.g. from <c>-u</c> and <c>--password-stdin</c>.</summary>
public sealed class FixedCredentialSource(RegistryCredential? credential) : ICredentialSource
{
    public Task<RegistryCredential?> GetAsync(string registry, CancellationToken cancellationToken) => Task.FromResult(credential);
}
