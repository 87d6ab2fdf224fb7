namespace Envship.Core.Registry.Layout;

/// <summary><c>oci-layout:DIR[:TAG]</c> (or <c>…@sha256:HEX</c>): an OCI image layout directory and a tag or digest in it.</summary>
/// <param name="Explicit">False when no tag was written and <c>latest</c> stands in.</param>
public sealed record OciLayoutReference(string Directory, string Reference, bool Explicit = true)
{
    public const string Scheme = "oci-layout:";

    public static bool IsLayoutReference(string? text) => text?.StartsWith(Scheme, StringComparison.Ordinal) == true;

    /// <summary>The tag is what follows the last ':' when it holds no '/'; <c>latest</c> when there is none.</summary>
    public static OciLayoutReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!IsLayoutReference(text))
        {
            throw new EnvshipException(ExitCode.Usage, $"{text}: not an OCI image layout reference. Write oci-layout:DIR or oci-layout:DIR:TAG.");
        }

        var rest = text[Scheme.Length..];
        string directory;
        string reference;
        var explicitReference = true;
        var at = rest.LastIndexOf("@sha256:", StringComparison.Ordinal);
        if (at > 0)
        {
            (directory, reference) = (rest[..at], rest[(at + 1)..]);
            if (!OciDigest.IsValid(reference))
            {
                throw new EnvshipException(ExitCode.Usage, $"{text}: '{reference}' is not a sha256 digest (sha256: and 64 lowercase hex digits).");
            }
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            explicitReference = colon > 0 && rest.IndexOf('/', colon) < 0;
            (directory, reference) = explicitReference ? (rest[..colon], rest[(colon + 1)..]) : (rest, OciReference.DefaultTag);
        }

        if (directory.Length == 0 || reference.Length == 0)
        {
            throw new EnvshipException(ExitCode.Usage, $"{text}: the directory or the tag is empty. Write oci-layout:DIR or oci-layout:DIR:TAG.");
        }

        return new OciLayoutReference(Path.GetFullPath(directory), reference, explicitReference);
    }

    public override string ToString() => OciDigest.IsValid(Reference) ? $"{Scheme}{Directory}@{Reference}" : $"{Scheme}{Directory}:{Reference}";
}
