using System.Text.RegularExpressions;

namespace Envship.Core.Registry;

/// <summary>
/// <c>oci://HOST[:PORT]/REPO[:TAG][@sha256:HEX]</c>: one manifest in one repository of one registry. The repository
/// name follows the distribution spec's grammar; a reference with neither tag nor digest means <c>latest</c>.
/// </summary>
public sealed partial record OciReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string Scheme = "oci://";
    public const string DefaultTag = "latest";
    private const string Form = "oci://HOST[:PORT]/REPOSITORY[:TAG][@sha256:HEX], e.g. oci://registry.example.com/team/env:v1";

    /// <summary>What a manifest request names: the digest when there is one, otherwise the tag.</summary>
    public string Reference => Digest ?? Tag ?? DefaultTag;

    /// <summary>The repository without tag or digest, e.g. <c>oci://127.0.0.1:5000/team/env</c>.</summary>
    public string RepositoryLocation => $"{Scheme}{Registry}/{Repository}";

    public override string ToString() =>
        RepositoryLocation + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    public static bool IsOciReference(string text) => text?.StartsWith(Scheme, StringComparison.Ordinal) == true;

    /// <summary>Parses <paramref name="text"/>; a malformed one is a usage error that shows the expected form.</summary>
    public static OciReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!IsOciReference(text))
        {
            throw Bad(text, "it does not start with oci://");
        }

        var rest = text[Scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            throw Bad(text, slash == 0 ? "the registry host is missing" : "the repository is missing");
        }

        var registry = rest[..slash];
        if (!RegistryGrammar().IsMatch(registry))
        {
            throw Bad(text, $"'{registry}' is not a host name or address with an optional :PORT");
        }

        var path = rest[(slash + 1)..];
        string? digest = null;
        var at = path.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = path[(at + 1)..];
            path = path[..at];
            if (!OciDigest.IsValid(digest))
            {
                throw Bad(text, $"'{digest}' is not a digest of the form sha256:<64 lowercase hex digits>");
            }
        }

        string? tag = null;
        var colon = path.LastIndexOf(':');
        if (colon > path.LastIndexOf('/'))
        {
            tag = path[(colon + 1)..];
            path = path[..colon];
            if (!TagGrammar().IsMatch(tag))
            {
                throw Bad(text, $"'{tag}' is not a tag (letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-')");
            }
        }

        if (path.Length == 0)
        {
            throw Bad(text, "the repository is missing");
        }

        if (!RepositoryGrammar().IsMatch(path))
        {
            throw Bad(text, $"'{path}' is not a repository name (lowercase letters and digits, separated by '.', '_', '__', '-' or '/')");
        }

        if (registry.Length + 1 + path.Length > 255)
        {
            throw Bad(text, "the registry and repository together are longer than 255 characters");
        }

        return new OciReference(registry, path, tag ?? (digest is null ? DefaultTag : null), digest);
    }

    /// <summary>Parses <paramref name="text"/> without throwing.</summary>
    public static bool TryParse(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out OciReference? reference)
    {
        try
        {
            reference = Parse(text);
            return true;
        }
        catch (EnvshipException)
        {
            reference = null;
            return false;
        }
    }

    /// <summary>This repository at another tag or digest.</summary>
    public OciReference WithReference(string reference) =>
        OciDigest.IsValid(reference) ? this with { Tag = null, Digest = reference } : this with { Tag = reference, Digest = null };

    private static EnvshipException Bad(string text, string why) =>
        new(ExitCode.Usage, $"'{text}' is not a registry reference: {why}. Expected {Form}.");

    [GeneratedRegex(@"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)(:[0-9]{1,5})?$")]
    private static partial Regex RegistryGrammar();

    [GeneratedRegex(@"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryGrammar();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagGrammar();
}
