using Envship.Core.Archive;
using Envship.Core.Manifests;

namespace Envship.Core.Deploy;

/// <summary>
/// Where a deploy's members come from: a single-file or directory archive, or the layers of an OCI
/// artifact. The deploy pipeline checks every member against <see cref="Manifest"/> and never needs
/// to know which it is.
/// </summary>
public interface IDeploySource : IDisposable
{
    /// <summary>How messages name the source: an archive's path, or <c>oci://HOST/REPO@sha256:…</c>.</summary>
    string Location { get; }

    /// <summary>What the receipt and <c>history</c> record as the archive deployed.</summary>
    string Origin { get; }

    /// <summary>The validated manifest.</summary>
    Manifest Manifest { get; }

    /// <summary>The SHA-256 of the manifest's bytes: the identity of the content, whatever carried it.</summary>
    string ManifestSha256 { get; }

    /// <summary>The container format the receipt records.</summary>
    ArchiveFormat Format { get; }

    /// <summary>The members after the manifest, in order: a directory before what is in it, a hard link after its file.</summary>
    IEnumerable<ArchiveMember> ReadMembers();

    /// <summary>Reads whatever follows the last member, so damage after it is still found.</summary>
    void ReadToEnd();

    /// <summary>Wraps a failure of the decompressor or tar reader as damage, naming where it happened.</summary>
    EnvshipException Damaged(Exception cause);

    /// <summary>Writes what the source keeps beside the receipt in the staging tree's <c>.envship/</c>; returns the relative paths written.</summary>
    IReadOnlyList<string> WriteRecords(string staging) => [];
}

/// <summary>An <see cref="ArchiveReader"/> as a deploy source, behaving exactly as the reader does.</summary>
public sealed class ArchiveDeploySource(ArchiveReader reader) : IDeploySource
{
    public static ArchiveDeploySource Open(string path) => new(ArchiveReader.Open(path));

    public string Location => reader.ArchivePath;
    public string Origin => Path.GetFullPath(reader.ArchivePath);
    public Manifest Manifest => reader.Manifest;
    public string ManifestSha256 => reader.ManifestSha256;
    public ArchiveFormat Format => reader.Format;

    public IEnumerable<ArchiveMember> ReadMembers() => reader.ReadMembers();

    public void ReadToEnd() => reader.ReadToEnd();

    public EnvshipException Damaged(Exception cause) => reader.Damaged(cause);

    public void Dispose() => reader.Dispose();
}
