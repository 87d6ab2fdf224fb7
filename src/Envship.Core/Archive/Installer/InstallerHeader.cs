using System.Globalization;
using System.Text;

namespace Envship.Core.Archive.Installer;

/// <summary>
/// The sh script at the front of an installer: the embedded <c>installer-header.sh</c> with its
/// placeholders filled. Every value has a fixed width, so the header is as long for any layout and
/// the same layout always gives the same bytes.
/// </summary>
public static class InstallerHeader
{
    private const string ResourceName = "Envship.Core.Archive.Installer.installer-header.sh";

    private static readonly Lazy<string> _template = new(LoadTemplate);

    /// <summary>The header's length in bytes, which is where the binary starts.</summary>
    public static long Size => Render(Placeholder(0)).Length;

    /// <summary>The header for <paramref name="layout"/>, whose <see cref="InstallerLayout.HeaderSize"/> must be <see cref="Size"/>.</summary>
    public static byte[] Render(InstallerLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var text = new StringBuilder(_template.Value)
            .Replace("@HEADER_SIZE@", Number(layout.HeaderSize))
            .Replace("@TARGET@", layout.Target.Name.PadRight(16))
            .Replace("@BINARY_OFFSET@", Number(layout.Binary.Offset))
            .Replace("@BINARY_SIZE@", Number(layout.Binary.Size))
            .Replace("@BINARY_SHA256@", layout.Binary.Sha256)
            .Replace("@ARCHIVE_OFFSET@", Number(layout.Archive.Offset))
            .Replace("@ARCHIVE_SIZE@", Number(layout.Archive.Size))
            .Replace("@ARCHIVE_SHA256@", layout.Archive.Sha256)
            .Replace("@SIGNATURE_OFFSET@", Number(layout.Signature.Offset))
            .Replace("@SIGNATURE_SIZE@", Number(layout.Signature.Size))
            .ToString();
        return Encoding.ASCII.GetBytes(text);
    }

    /// <summary>The layout of an installer holding a binary, an archive and a signature of these sizes.</summary>
    public static InstallerLayout Layout(InstallerTarget target, long binarySize, string binarySha256, long archiveSize, string archiveSha256, long signatureSize)
    {
        var size = Size;
        var binary = new InstallerSection(size, binarySize, binarySha256);
        var archive = new InstallerSection(binary.End, archiveSize, archiveSha256);
        return new InstallerLayout(size, target, binary, archive, new InstallerSection(archive.End, signatureSize, null));
    }

    private static InstallerLayout Placeholder(long headerSize)
    {
        var zero = new string('0', 64);
        var empty = new InstallerSection(0, 0, zero);
        return new InstallerLayout(headerSize, InstallerTarget.LinuxX64, empty, empty, empty);
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture).PadRight(InstallerLayout.NumberWidth);

    private static string LoadTemplate()
    {
        using var stream = typeof(InstallerHeader).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the embedded resource {ResourceName} is missing from the build");
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return reader.ReadToEnd();
    }
}
