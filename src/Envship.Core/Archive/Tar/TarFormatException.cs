using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive.Tar;

/// <summary>
/// A tar header or pax record the strict reader refuses. <see cref="Tampered"/> tells a structure no
/// writer of envship archives produces (so the fix is not to deploy it) from damage that copying
/// the archive again may cure. <see cref="Member"/> is the member's name when it could be read.
/// </summary>
public sealed class TarFormatException : FormatException
{
    public TarFormatException(string message, bool tampered, string? member = null)
        : base(message)
    {
        Tampered = tampered;
        Member = member;
    }

    public TarFormatException()
    {
    }

    public TarFormatException(string message)
        : base(message)
    {
    }

    public TarFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public bool Tampered { get; }
    public string? Member { get; }
}
