namespace Envship.Core.Registry.Transport;

/// <summary>
/// How envship talks to registries and https:// servers. Every remote operation takes one; the CLI fills it
/// from <c>--ca-file</c>, <c>--insecure</c> and the credential flags.
/// </summary>
public sealed record RemoteOptions
{
    /// <summary>A PEM file of extra trusted root certificates (a private CA), trusted besides the system's.</summary>
    public string? CaFile { get; init; }

    /// <summary>Allows plain <c>http://</c> to hosts other than loopback (which is always allowed, as docker does).</summary>
    public bool Insecure { get; init; }

    /// <summary>The docker <c>config.json</c> to read credentials from; null means <c>$DOCKER_CONFIG/config.json</c> or <c>~/.docker/config.json</c>.</summary>
    public string? DockerConfigPath { get; init; }

    /// <summary>A user name that overrides the stored credentials (with <see cref="Password"/>).</summary>
    public string? Username { get; init; }

    /// <summary>The password or token that goes with <see cref="Username"/>.</summary>
    public string? Password { get; init; }

    /// <summary>How long a TCP connect plus TLS handshake may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a response body may send nothing before the transfer counts as dropped.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public static RemoteOptions Default { get; } = new();
}
