using Envship.Core.Archive.Compression;
using Envship.Core.Archive.Tar;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using ZstdSharp;

namespace Envship.Core.Archive;

/// <summary>One member after the manifest. <see cref="Data"/> is valid until the next member is read.</summary>
public sealed record ArchiveMember(string Path, EntryType Type, string? LinkTarget, Stream? Data)
{
    /// <summary>The data size the member's own header declares, checked against the manifest before any byte is read.</summary>
    public long Size { get; init; }

    /// <summary>
    /// Set when <see cref="Data"/> holds a file as an earlier deploy to this same destination left it
    /// (reused instead of fetched): its bytes are checked against this SHA-256 and not relocated again.
    /// </summary>
    public string? DeployedSha256 { get; init; }
}

/// <summary>
/// Opens any envship archive, telling its format by magic bytes, and reads the manifest first.
/// The members then stream in archive order; a SHA-256 of the raw archive bytes is kept as they pass.
/// </summary>
public sealed partial class ArchiveReader : IDisposable
{
    private readonly Stream? _file;
    private readonly ReadAheadStream? _raw;
    private readonly Stream? _decompressed;
    private readonly ExpansionLimitStream? _limited;
    private readonly string _memberPrefix;
    private readonly StrictTarReader? _tar;
    private readonly Dictionary<string, byte[]> _metadata = new(StringComparer.Ordinal);

    /// <summary>True when the reader stands on a member that <see cref="ReadMetadata"/> read but did not keep.</summary>
    private bool _pending;
    private string? _lastMember;

    private ArchiveReader(string path, ArchiveFormat format, Stream? file, ReadAheadStream? raw, Stream? decompressed, ExpansionLimitStream? limited, StrictTarReader? tar, Manifest manifest, string manifestSha256, string memberPrefix)
    {
        ManifestSha256 = manifestSha256;
        _limited = limited;
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

    /// <summary>The SHA-256 of the manifest's bytes, checked against the digest the archive carries: the identity of its content.</summary>
    public string ManifestSha256 { get; }

    public static ArchiveReader Open(string path)
    {
        if (Directory.Exists(path))
        {
            var manifestPath = System.IO.Path.Combine(path, Manifest.EntryName);
            if (!File.Exists(manifestPath))
            {
                throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: this directory has no {Manifest.EntryName}, so it is not an envship archive. Pass a file made by 'envship pack' or a directory made by 'envship pack --format dir'.");
            }

            Manifest directoryManifest;
            string directoryDigest;
            using (var manifestFile = new FileStream(manifestPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            using (var json = new HashingReadStream(manifestFile))
            {
                directoryManifest = ParseManifest(json, manifestPath, path);
                json.CopyTo(Stream.Null);
                directoryDigest = json.HashHex();
            }

            ManifestValidator.Validate(directoryManifest, path);
            return new ArchiveReader(path, ArchiveFormat.Directory, null, null, null, null, null, directoryManifest, directoryDigest, "");
        }

        if (!File.Exists(path))
        {
            throw new EnvshipException(ExitCode.Usage, $"{path}: no such archive. Check the path.");
        }

        Stream file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        ReadAheadStream? raw = null;
        try
        {
            // A self-extracting installer (NAME.run) carries the archive at an offset its header names.
            if (Installer.InstallerLayout.TryRead(file, path) is { } installer)
            {
                file = new Installer.SliceStream(file, installer.Archive.Offset, installer.Archive.Size, installer.Archive.Sha256!, path);
            }

            Span<byte> head = stackalloc byte[512];
            var headLength = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            file.Position = 0;
            var format = ArchiveFormats.Detect(head[..headLength])
                ?? throw new EnvshipException(ExitCode.DamagedArchive, $"{path}: not a tar, tar.zst or tar.gz archive (unknown leading bytes). Pass a file made by 'envship pack'.");
            raw = new ReadAheadStream(file);
            Stream decompressed = format switch
            {
                ArchiveFormat.TarZst => ZstdStreams.Decompressor(raw),
                ArchiveFormat.TarGz => new StrictGzipStream(raw),
                _ => raw,
            };
            var limited = new ExpansionLimitStream(decompressed, path);
            var tar = new StrictTarReader(limited);
            var (manifest, digest, prefix) = ReadManifest(path, tar, digestRequired: format == ArchiveFormat.Tar);
            ManifestValidator.Validate(manifest, path);
            limited.Limit = ExpansionLimitStream.BudgetFor(manifest, limited.BytesRead);
            return new ArchiveReader(path, format, file, raw, decompressed, limited, tar, manifest, digest, prefix);
        }
        catch
        {
            raw?.Dispose();
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

        while (_pending || NextEntry())
        {
            _pending = false;
            if (TryKeepMetadata())
            {
                continue;
            }

            var name = StripPrefix(_tar.Name, "member");
            _lastMember = name;
            var type = MemberType(_tar.TypeFlag, name);
            var target = type switch
            {
                EntryType.Hardlink => StripPrefix(_tar.LinkName ?? "", $"hard link '{name}' points to"),
                EntryType.Symlink => _tar.LinkName ?? "",
                _ => null,
            };
            yield return new ArchiveMember(name, type, target, type == EntryType.File ? _tar.Data : null) { Size = _tar.Size };
        }
    }

    /// <summary>
    /// Reads whatever follows the last member, so the frame checksums and the expansion limit cover
    /// every byte of the file and damage after the last member is still found.
    /// </summary>
    public void ReadToEnd()
    {
        if (_raw is null)
        {
            return;
        }

        try
        {
            _tar!.ReadTrailer();
            _raw.CopyTo(Stream.Null);
        }
        catch (TarFormatException ex)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{ArchivePath}: the archive {ex.Message}. {Fix(ex)}", ex);
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            throw Damaged(ex);
        }
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
        _limited?.Dispose();
        _decompressed?.Dispose();
        _raw?.Dispose();
        _file?.Dispose();
    }

    private bool NextEntry()
    {
        try
        {
            return _tar!.MoveNext();
        }
        catch (TarFormatException ex)
        {
            throw Refused(ex);
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            throw Damaged(ex);
        }
    }

    /// <summary>A header the strict reader refused: the member it names (or the last good one), the cause and the fix.</summary>
    private EnvshipException Refused(TarFormatException ex)
    {
        var where = ex.Member is not null ? $"member '{ex.Member}'"
            : _lastMember is null ? "the member right after the manifest" : $"the member after '{_lastMember}'";
        return new EnvshipException(ExitCode.DamagedArchive, $"{ArchivePath}: {where} {ex.Message}. {Fix(ex)}", ex);
    }

    private static string Fix(TarFormatException ex) => ex.Tampered
        ? "The archive was not made by envship or was tampered with; do not deploy it."
        : "Copy the archive again and check its size and sha256; if that does not help, the archive was tampered with: do not deploy it.";

    // The prefix's own .envship/ is never packed, so every .envship/ member is metadata written after the manifest.
    private IEnumerable<ArchiveMember> ReadDirectoryMembers()
    {
        foreach (var entry in Manifest.Entries)
        {
            var full = System.IO.Path.Combine(ArchivePath, entry.Path);
            var kind = Platform.UnixFileSystem.TryStat(full)?.Kind;
            if (entry.Type is EntryType.File or EntryType.Hardlink && kind != Platform.UnixFileKind.RegularFile)
            {
                // Opening a FIFO would block and a symlink would read whatever it names: only real files are read.
                throw new EnvshipException(ExitCode.DamagedArchive, $"{ArchivePath}: '{entry.Path}' is not a regular file in this directory archive ({kind?.ToString() ?? "missing"}), but the manifest says {entry.Type}. Pack the environment again with 'envship pack --format dir'.");
            }

            switch (entry.Type)
            {
                case EntryType.File:
                    using (var data = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
                    {
                        yield return new ArchiveMember(entry.Path, entry.Type, null, data) { Size = data.Length };
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

    /// <summary>Refuses a name that could land outside the destination before anything else looks at it.</summary>
    private string StripPrefix(string name, string what)
    {
        var trimmed = name.Length > 1 ? name.TrimEnd('/') : name;
        if (ArchivePaths.Problem(trimmed) is { } problem)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{ArchivePath}: {what} '{name}', which {problem}. Nothing outside the staging directory was touched; the archive was not made by envship or was tampered with, do not deploy it.");
        }

        if (_memberPrefix.Length > 0)
        {
            if (!trimmed.StartsWith(_memberPrefix, StringComparison.Ordinal))
            {
                throw new EnvshipException(ExitCode.DamagedArchive, $"{ArchivePath}: {what} '{name}', which is outside the archive root '{_memberPrefix}'. The archive was tampered with; do not deploy it.");
            }

            trimmed = trimmed[_memberPrefix.Length..];
        }

        return trimmed;
    }

    private EntryType MemberType(byte typeFlag, string name) => typeFlag switch
    {
        (byte)'0' or 0 => EntryType.File,
        (byte)'5' => EntryType.Directory,
        (byte)'2' => EntryType.Symlink,
        (byte)'1' => EntryType.Hardlink,
        var other => throw new EnvshipException(
            ExitCode.DamagedArchive,
            $"{ArchivePath}: member '{name}' is {Describe(other)}, which envship never creates: special files could reach hardware or block a reader. The archive was not made by envship or was tampered with; do not deploy it."),
    };

    private static string Describe(byte typeFlag) => typeFlag switch
    {
        (byte)'3' => "a character device node",
        (byte)'4' => "a block device node",
        (byte)'6' => "a FIFO (named pipe)",
        (byte)'7' => "a contiguous file (tar type '7')",
        (byte)'S' => "a GNU sparse file (tar type 'S')",
        (byte)'M' or (byte)'V' => "a multi-volume continuation or volume label (tar type 'M' or 'V')",
        >= 0x20 and < 0x7F => $"a tar entry of type '{(char)typeFlag}'",
        _ => $"a tar entry of type 0x{typeFlag:X2}",
    };
}
