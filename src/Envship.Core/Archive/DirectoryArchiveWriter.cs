using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;
using Envship.Core.Scanning;

namespace Envship.Core.Archive;

/// <summary><c>--format dir</c>: the same members as a tar, written out as a tree with the manifest in <c>.envship/</c>.</summary>
internal sealed class DirectoryArchiveWriter : IArchiveWriter
{
    private readonly string _root;
    private readonly List<ManifestEntry> _directories = [];

    public DirectoryArchiveWriter(string root)
    {
        _root = root;
        Directory.CreateDirectory(root);
    }

    public void WriteManifest(byte[] json, long mtimeNs) => WriteMetadata(Manifest.EntryName, json, mtimeNs);

    public void WriteMetadata(string name, byte[] content, long mtimeNs)
    {
        var path = Path.Combine(_root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    public void Add(InventoryItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var entry = item.Entry;
        var path = Path.Combine(_root, entry.Path);
        switch (entry.Type)
        {
            case EntryType.Directory:
                Directory.CreateDirectory(path);
                _directories.Add(entry);
                return;
            case EntryType.Symlink:
                File.CreateSymbolicLink(path, entry.Target!);
                break;
            case EntryType.Hardlink:
                UnixFileSystem.HardLink(Path.Combine(_root, entry.Target!), path);
                return;
            default:
                using (var source = TarArchiveWriter.OpenContent(item))
                using (var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    source.CopyTo(target);
                }

                File.SetUnixFileMode(path, (UnixFileMode)(entry.Mode & 0xFFF));
                break;
        }

        UnixFileSystem.SetModifiedTime(path, entry.MtimeNs);
    }

    public void Dispose()
    {
        for (var i = _directories.Count - 1; i >= 0; i--)
        {
            var path = Path.Combine(_root, _directories[i].Path);
            File.SetUnixFileMode(path, (UnixFileMode)(_directories[i].Mode & 0xFFF));
            UnixFileSystem.SetModifiedTime(path, _directories[i].MtimeNs);
        }
    }
}
