using Envship.Core;
using Envship.Core.Registry;
using Envship.Core.Registry.Layout;
using Envship.Core.Registry.Transport;

namespace Envship.Cli.Commands;

/// <summary>A store named on the command line, <c>oci://HOST[:PORT]/REPO[:TAG|@DIGEST]</c> or <c>oci-layout:DIR[:TAG]</c>, with the tag or digest it names.</summary>
internal sealed class OciEndpoint : IDisposable
{
    private readonly IDisposable? _owned;

    private OciEndpoint(IOciSource source, IOciTarget target, string? reference, bool referenceIsDefault, IDisposable? owned)
    {
        Source = source;
        Target = target;
        Reference = reference;
        ReferenceIsDefault = referenceIsDefault;
        _owned = owned;
    }

    public IOciSource Source { get; }
    public IOciTarget Target { get; }

    /// <summary>The tag or digest; <c>latest</c> when none was written (see <see cref="ReferenceIsDefault"/>).</summary>
    public string? Reference { get; }
    public bool ReferenceIsDefault { get; }

    public static OciEndpoint Open(string text, RemoteOptions remote, bool forWriting)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (OciLayoutReference.IsLayoutReference(text))
        {
            var layout = OciLayoutReference.Parse(text);
            var store = forWriting ? OciLayoutStore.OpenOrCreate(layout.Directory) : OciLayoutStore.Open(layout.Directory);
            return new OciEndpoint(store, store, layout.Reference, !layout.Explicit, null);
        }

        if (OciReference.IsOciReference(text))
        {
            var reference = OciReference.Parse(text);
            var repository = RegistryRepository.Open(reference, remote);
            return new OciEndpoint(repository, repository, reference.Reference, reference.Tag is null && reference.Digest is null, repository);
        }

        throw new EnvshipException(ExitCode.Usage, $"{text}: not a registry or image layout reference. Write oci://HOST[:PORT]/REPO:TAG or oci-layout:DIR[:TAG].");
    }

    public void Dispose() => _owned?.Dispose();
}
