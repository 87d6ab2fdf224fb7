using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Envship.Core.Archive.Compression;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Scanning;

namespace Envship.Core.Archive;

/// <summary>Streams inventory items into a pax tar, compressed with zstd or gzip or left plain.</summary>
public sealed class TarArchiveWriter : IArchiveWriter
{
    private const int UstarNameLength = 100;

    // Eleven octal digits: 8 GiB for a size, the year 2242 for an mtime.
    private const long UstarNumberLimit = 1L << 33;

    private readonly Stream _compressor;
    private readonly ReproduciblePaxStream _pax;
    private readonly TarWriter _tar;
    private readonly string _memberPrefix;
    private readonly bool _ownsCompressor;
    private readonly bool _endOfArchive;

    /// <param name="endOfArchive">
    /// False for the leading part of an archive whose members continue in another compressed part:
    /// the part then ends without tar's two zero blocks, which would end the archive for every reader.
    /// </param>
    public TarArchiveWriter(Stream output, ArchiveFormat format, int level, int jobs, string archiveRoot, bool endOfArchive = true)
    {
        _endOfArchive = endOfArchive;
        ArgumentNullException.ThrowIfNull(output);
        _compressor = format switch
        {
            ArchiveFormat.TarZst => ZstdStreams.Compressor(output, level, jobs),
            ArchiveFormat.TarGz => new ParallelGzipStream(output, level, jobs),
            ArchiveFormat.Tar => output,
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Not a tar format."),
        };
        _ownsCompressor = format != ArchiveFormat.Tar;
        // Both compressors collect whole blocks, and a plain tar goes to a buffered file: no buffer between.
        _pax = new ReproduciblePaxStream(_compressor);
        _tar = new TarWriter(_pax, TarEntryFormat.Pax, leaveOpen: true);
        _memberPrefix = archiveRoot.Length == 0 ? "" : archiveRoot.TrimEnd('/') + "/";
    }

    public void WriteManifest(byte[] json, long mtimeNs) => WriteSmallFile(Manifest.EntryName, json, mtimeNs, ManifestDigest.Attribute(json));

    /// <summary>Writes the manifest member from a stream of its bytes, whose SHA-256 the caller took as they were produced.</summary>
    public void WriteManifest(Stream json, string sha256Hex, long mtimeNs)
    {
        var entry = NewEntry(TarEntryType.RegularFile, Manifest.EntryName, 0b110_100_100, mtimeNs, attributes: ManifestDigest.Attribute(sha256Hex));
        entry.DataStream = json;
        Write(entry);
    }

    public void WriteMetadata(string name, byte[] content, long mtimeNs) => WriteSmallFile(name, content, mtimeNs, null);

    private void WriteSmallFile(string name, byte[] content, long mtimeNs, IEnumerable<KeyValuePair<string, string>>? attributes)
    {
        ArgumentNullException.ThrowIfNull(content);
        var entry = NewEntry(TarEntryType.RegularFile, name, 0b110_100_100, mtimeNs, size: content.Length, attributes: attributes);
        using var data = new MemoryStream(content, writable: false);
        entry.DataStream = data;
        Write(entry);
    }

    public void Add(InventoryItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var e = item.Entry;
        switch (e.Type)
        {
            case EntryType.Directory:
                Write(NewEntry(TarEntryType.Directory, e.Path + "/", e.Mode, e.MtimeNs));
                break;
            case EntryType.Symlink:
                Write(NewEntry(TarEntryType.SymbolicLink, e.Path, e.Mode, e.MtimeNs, e.Target!));
                break;
            case EntryType.Hardlink:
                Write(NewEntry(TarEntryType.HardLink, e.Path, e.Mode, e.MtimeNs, _memberPrefix + e.Target));
                break;
            default:
                using (var data = OpenContent(item))
                {
                    AddFile(e, data);
                }

                break;
        }
    }

    /// <summary>Writes a regular file member whose bytes come from <paramref name="data"/>, which must hold exactly <c>entry.Size</c> bytes.</summary>
    public void AddFile(ManifestEntry entry, Stream data)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var file = NewEntry(TarEntryType.RegularFile, entry.Path, entry.Mode, entry.MtimeNs, size: entry.Size);
        file.DataStream = data;
        Write(file);
    }

    public void Dispose()
    {
        if (_endOfArchive)
        {
            _tar.Dispose();
        }

        _pax.Flush();
        if (_ownsCompressor)
        {
            _compressor.Dispose();
        }
    }

    internal static Stream OpenContent(InventoryItem item)
    {
        if (item.Content is not null)
        {
            return new MemoryStream(item.Content, writable: false);
        }

        var stream = new FileStream(item.SourcePath!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        if (stream.Length != item.Entry.Size)
        {
            stream.Dispose();
            throw new EnvshipException(
                ExitCode.IoFailure,
                $"{item.SourcePath}: the file changed while it was being packed (it had {item.Entry.Size} bytes, now {stream.Length}). Stop whatever writes to the environment and pack again.");
        }

        return stream;
    }

    private void Write(PosixTarEntry entry)
    {
        _pax.BeginEntry();
        _tar.WriteEntry(entry);
    }

    /// <summary>
    /// A plain ustar header where one holds the member, as GNU tar writes them, else a pax header.
    /// Ustar keeps whole seconds of the mtime; deploy restores the nanoseconds from the manifest,
    /// so only a plain <c>tar -x</c> sees the difference. A pax member costs two more 512-byte
    /// blocks, which at 200,000 members is 200 MB more tar to write, compress and parse.
    /// </summary>
    private PosixTarEntry NewEntry(TarEntryType type, string path, int mode, long mtimeNs, string? linkName = null, long size = 0, IEnumerable<KeyValuePair<string, string>>? attributes = null)
    {
        var name = _memberPrefix + path;
        var seconds = Math.DivRem(mtimeNs, 1_000_000_000L, out var fraction);
        PosixTarEntry entry = attributes is null && UstarHolds(name, linkName, seconds, size)
            ? new UstarTarEntry(type, name) { ModificationTime = DateTimeOffset.FromUnixTimeSeconds(seconds) }
            : new PaxTarEntry(type, name, attributes ?? []) { ModificationTime = DateTimeOffset.UnixEpoch.AddTicks(mtimeNs / 100) };
        entry.Mode = (UnixFileMode)(mode & 0xFFF);
        entry.Uid = 0;
        entry.Gid = 0;
        if (linkName is not null)
        {
            entry.LinkName = linkName;
        }

        return entry;
    }

    private static bool UstarHolds(string name, string? linkName, long seconds, long size) =>
        name.Length <= UstarNameLength && Ascii.IsValid(name)
        && (linkName is null || (linkName.Length <= UstarNameLength && Ascii.IsValid(linkName)))
        && seconds is >= 0 and < UstarNumberLimit && size < UstarNumberLimit;
}

public interface IArchiveWriter : IDisposable
{
    void WriteManifest(byte[] json, long mtimeNs);

    /// <summary>Writes a <c>.envship/</c> member (an embedded export) right after the manifest.</summary>
    void WriteMetadata(string name, byte[] content, long mtimeNs);

    void Add(InventoryItem item);
}
