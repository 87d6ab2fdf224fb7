using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using ZstdSharp;

namespace Envship.Core.Archive;

/// <summary>One member after the manifest. <see cref="Data"/> is valid until the next member is read.</summary>
public sealed record ArchiveMember(string Path, EntryType Type, string? LinkTarget, Stream? Data);

/// <summary>
/// Opens any envship archive, telling its format by magic bytes, and reads the manifest first.
/// The members then stream in archive order; a SHA-256 of the raw archive bytes is kept as they pass.
/// </summary>
public sealed class ArchiveReader : IDisposable
{
    private readonly FileStream? _file;
    private readonly HashingReadStream? _raw;
    private readonly Stream? _decompressed;
    private readonly TarReader? _tar;
    private readonly string _memberPrefix;
    private readonly Dictionary<string, byte[]> _metadata = new(StringComparer.Ordinal);
    private TarEntry? _pending;
    private string? _lastMember;

    private ArchiveReader(string path, ArchiveFormat format, FileStream? file, HashingReadStream? raw, Stream? decompressed, TarReader? tar, Manifest manifest, string memberPrefix)
    {
        ArchivePath = path;
        Format = format;
        _file = file;
        _raw = raw;
        _decompressed = decompressed;
        _tar = tar;
        Manifest = manifest;
        _memberPrefix = memberPrefix;
    }

    public string ArchivePath { get; }
    public ArchiveFormat Format { get; }
    public Manifest Manifest { get; }

    public static ArchiveReader Open(string path)
    {
        if (Directory.Exists(path))
        {
            var manifestPath = System.IO.Path.Combine(path, Manifest.EntryName);
            if (!File.Exists(manifestPath))
            {
                throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: this directory has no {Manifest.EntryName}, so it is not an envship archive. Pass a file made by 'envship pack' or a directory made by 'envship pack --format dir'.");
            }

            return new ArchiveReader(path, ArchiveFormat.Directory, null, null, null, null, ManifestJson.Deserialize(File.ReadAllBytes(manifestPath), manifestPath), "");
        }

        if (!File.Exists(path))
        {
            throw new EnvshipException(ExitCode.Usage, $"{path}: no such archive. Check the path.");
        }

        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        try
        {
            Span<byte> head = stackalloc byte[512];
            var headLength = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            file.Position = 0;
            var format = ArchiveFormats.Detect(head[..headLength])
                ?? throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: not a tar, tar.zst or tar.gz archive (unknown leading bytes). Pass a file made by 'envship pack'.");
            var raw = new HashingReadStream(file);
            Stream decompressed = format switch
            {
                ArchiveFormat.TarZst => new DecompressionStream(raw, 1 << 20, checkEndOfStream: true, leaveOpen: true),
                ArchiveFormat.TarGz => new GZipStream(raw, CompressionMode.Decompress, leaveOpen: true),
                _ => raw,
            };
            var tar = new TarReader(decompressed, leaveOpen: true);
            var (manifest, prefix) = ReadManifest(path, tar);
            return new ArchiveReader(path, format, file, raw, decompressed, tar, manifest, prefix);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads only the manifest: what <c>inspect</c> needs, without touching the members.</summary>
    public static Manifest ReadManifestOnly(string path)
    {
        using var reader = Open(path);
        return reader.Manifest;
    }

    /// <summary>
    /// The <c>.envship/</c> members that follow the manifest (embedded exports), checked against the
    /// manifest's <c>metadata</c> hashes. Reads only those members; call it before <see cref="ReadMembers"/>.
    /// </summary>
    public IReadOnlyDictionary<string, byte[]> ReadMetadata()
    {
        if (_tar is null)
        {
            foreach (var file in Manifest.Metadata)
            {
                if (!file.Path.StartsWith(".envship/", StringComparison.Ordinal) || !ManifestValidator.IsSafeRelativePath(file.Path))
                {
                    throw new EnvshipException(ExitCode.DamagedArchive, $"{ArchivePath}: the manifest's metadata names '{file.Path}', which is not a plain path under .envship/. The archive was tampered with.");
                }

                var full = System.IO.Path.Combine(ArchivePath, file.Path);
                if (File.Exists(full))
                {
                    _metadata[file.Path] = Checked(file, File.ReadAllBytes(full));
                }
            }

            return _metadata;
        }

        while (_pending is null)
        {
            var entry = NextEntry();
            if (entry is null)
            {
                break;
            }

            if (!TryKeepMetadata(entry))
            {
                _pending = entry;
            }
        }

        return _metadata;
    }

    public IEnumerable<ArchiveMember> ReadMembers()
    {
        if (_tar is null)
        {
            foreach (var member in ReadDirectoryMembers())
            {
                yield return member;
            }

            yield break;
        }

        while (true)
        {
            var entry = _pending ?? NextEntry();
            _pending = null;
            if (entry is null)
            {
                yield break;
            }

            if (TryKeepMetadata(entry))
            {
                continue;
            }

            var name = StripPrefix(entry.Name);
            _lastMember = name;
            var type = entry.EntryType switch
            {
                TarEntryType.RegularFile or TarEntryType.V7RegularFile => EntryType.File,
                TarEntryType.Directory => EntryType.Directory,
                TarEntryType.SymbolicLink => EntryType.Symlink,
                TarEntryType.HardLink => EntryType.Hardlink,
                _ => throw new EnvshipException(ExitCode.DamagedArchive, $"{ArchivePath}: member '{name}' is a {entry.EntryType}, which envship archives never contain. The archive was not made by envship or was tampered with."),
            };
            var target = type switch
            {
                EntryType.Hardlink => StripPrefix(entry.LinkName),
                EntryType.Symlink => entry.LinkName,
                _ => null,
            };
            yield return new ArchiveMember(name, type, target, entry.DataStream);
        }
    }

    /// <summary>Reads whatever follows the last member so the digest covers every byte of the file.</summary>
    public string CompleteDigest()
    {
        if (_raw is null)
        {
            return Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(System.IO.Path.Combine(ArchivePath, Manifest.EntryName))));
        }

        try
        {
            _decompressed!.CopyTo(Stream.Null);
            _raw.CopyTo(Stream.Null);
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            throw Damaged(ex);
        }

        return _raw.HashHex();
    }

    /// <summary>Wraps a failure of the decompressor or tar reader as damage, naming the last good member.</summary>
    public EnvshipException Damaged(Exception cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        var where = _lastMember is null ? "right after the manifest" : $"after member '{_lastMember}'";
        return new EnvshipException(
            ExitCode.DamagedArchive,
            $"{ArchivePath}: the archive is damaged or truncated {where} ({cause.Message}). Copy the archive again and check its size and sha256.",
            cause);
    }

    public static bool IsDamage(Exception ex) =>
        ex is InvalidDataException or EndOfStreamException or FormatException or ZstdException or ArgumentException
            or OverflowException or InvalidOperationException or NotSupportedException or IndexOutOfRangeException;

    public void Dispose()
    {
        _tar?.Dispose();
        _decompressed?.Dispose();
        _file?.Dispose();
    }

    private TarEntry? NextEntry()
    {
        try
        {
            return _tar!.GetNextEntry();
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            throw Damaged(ex);
        }
    }

    // The prefix's own .envship/ is never packed, so every .envship/ member is metadata written after the manifest.
    private bool TryKeepMetadata(TarEntry entry)
    {
        var name = StripPrefix(entry.Name);
        if (!name.StartsWith(".envship/", StringComparison.Ordinal))
        {
            return false;
        }

        _lastMember = name;
        var expected = Manifest.Metadata.FirstOrDefault(m => m.Path == name);
        if (expected is null || entry.DataStream is null)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{ArchivePath}: member '{name}' is not listed in the manifest's metadata. The archive was not made by envship or was tampered with.");
        }

        using var data = new MemoryStream();
        try
        {
            entry.DataStream.CopyTo(data);
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            throw Damaged(ex);
        }

        _metadata[name] = Checked(expected, data.ToArray());
        return true;
    }

    private byte[] Checked(ManifestMetadataFile expected, byte[] bytes)
    {
        if (bytes.Length != expected.Size || Convert.ToHexStringLower(SHA256.HashData(bytes)) != expected.Sha256)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{ArchivePath}: member '{expected.Path}' does not match the SHA-256 in the manifest. Copy the archive again; if it persists, the archive was tampered with.");
        }

        return bytes;
    }

    private IEnumerable<ArchiveMember> ReadDirectoryMembers()
    {
        foreach (var entry in Manifest.Entries)
        {
            var full = System.IO.Path.Combine(ArchivePath, entry.Path);
            switch (entry.Type)
            {
                case EntryType.File:
                    using (var data = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
                    {
                        yield return new ArchiveMember(entry.Path, entry.Type, null, data);
                    }

                    break;
                case EntryType.Symlink:
                    yield return new ArchiveMember(entry.Path, entry.Type, new FileInfo(full).LinkTarget, null);
                    break;
                default:
                    yield return new ArchiveMember(entry.Path, entry.Type, entry.Target, null);
                    break;
            }
        }
    }

    private string StripPrefix(string name)
    {
        if (_memberPrefix.Length > 0)
        {
            if (!name.StartsWith(_memberPrefix, StringComparison.Ordinal))
            {
                throw new EnvshipException(ExitCode.DamagedArchive, $"{ArchivePath}: member '{name}' is outside the archive root '{_memberPrefix}'. The archive was tampered with.");
            }

            name = name[_memberPrefix.Length..];
        }

        return name.TrimEnd('/');
    }

    private static (Manifest Manifest, string MemberPrefix) ReadManifest(string path, TarReader tar)
    {
        TarEntry? first;
        try
        {
            first = tar.GetNextEntry(copyData: false);
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: cannot read the first member ({ex.Message}). The file is damaged or not an envship archive; copy it again.", ex);
        }

        if (first is null || !first.Name.EndsWith(Manifest.EntryName, StringComparison.Ordinal) || first.DataStream is null)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: the first member is not {Manifest.EntryName}, so this is not an envship archive. Pack it with 'envship pack'.");
        }

        using var json = new MemoryStream();
        try
        {
            first.DataStream.CopyTo(json);
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: the manifest is damaged ({ex.Message}). Copy the archive again.", ex);
        }

        var manifest = ManifestJson.Deserialize(json.ToArray(), $"{path}: {first.Name}");
        var prefix = first.Name[..^Manifest.EntryName.Length];
        if (prefix != (manifest.ArchiveRoot.Length == 0 ? "" : manifest.ArchiveRoot.TrimEnd('/') + "/"))
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: the manifest sits under '{prefix}' but declares archive root '{manifest.ArchiveRoot}'. The archive was tampered with.");
        }

        return (manifest, prefix);
    }
}
