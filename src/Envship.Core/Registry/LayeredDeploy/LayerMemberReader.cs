using Envship.Core.Archive;
using Envship.Core.Archive.Compression;
using Envship.Core.Archive.Tar;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Hashing;

namespace Envship.Core.Registry.LayeredDeploy;

/// <summary>
/// The members of one cached layer blob: zstd frames into the strict tar reader, names checked before
/// anything looks at them, the base layer's exports checked against the manifest's metadata and skipped,
/// as a single-file archive's reader treats them.
/// </summary>
internal sealed class LayerMemberReader : IDisposable
{
    private readonly FileStream _file;
    private readonly Stream _decompressed;
    private readonly ExpansionLimitStream _limited;
    private readonly StrictTarReader _tar;
    private readonly Manifest _manifest;
    private readonly string _what;
    private string? _lastMember;

    public LayerMemberReader(string blobPath, Manifest manifest, long expansionBudget, string what)
    {
        _manifest = manifest;
        _what = what;
        _file = new FileStream(blobPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        _decompressed = ZstdStreams.Decompressor(_file);
        _limited = new ExpansionLimitStream(_decompressed, what) { Limit = expansionBudget };
        _tar = new StrictTarReader(_limited);
    }

    /// <summary>The next member, or null after the last; a member's data is valid until the next call.</summary>
    public ArchiveMember? Next()
    {
        while (Guard(_tar.MoveNext))
        {
            var name = _tar.Name.Length > 1 ? _tar.Name.TrimEnd('/') : _tar.Name;
            if (ArchivePaths.Problem(name) is { } problem)
            {
                throw Tampered($"member '{_tar.Name}', which {problem}");
            }

            _lastMember = name;
            if (name.StartsWith(".envship/", StringComparison.Ordinal))
            {
                CheckExport(name);
                continue;
            }

            var type = _tar.TypeFlag switch
            {
                (byte)'0' or 0 => EntryType.File,
                (byte)'5' => EntryType.Directory,
                (byte)'2' => EntryType.Symlink,
                (byte)'1' => EntryType.Hardlink,
                var other => throw Tampered($"member '{name}' is a tar entry of type 0x{other:X2}, which envship never creates"),
            };
            var target = type is EntryType.Symlink or EntryType.Hardlink ? _tar.LinkName ?? "" : null;
            return new ArchiveMember(name, type, target, type == EntryType.File ? new DamageMappingStream(_tar.Data, this) : null) { Size = _tar.Size };
        }

        return null;
    }

    /// <summary>The trailer and whatever follows it, so damage after the last member is found too.</summary>
    public void ReadToEnd() => Guard(() =>
    {
        _tar.ReadTrailer();
        _limited.CopyTo(Stream.Null);
        return true;
    });

    public EnvshipException Damaged(Exception cause)
    {
        var where = _lastMember is null ? "at its start" : $"after member '{_lastMember}'";
        return cause is TarFormatException tar
            ? Tampered($"{(tar.Member is null ? where : $"member '{tar.Member}'")} {tar.Message}")
            : new EnvshipException(ExitCode.DamagedArchive, $"{_what}: the layer is damaged {where} ({cause.Message}). Its digest checked out, so it was pushed this way: push the environment again.", cause);
    }

    public void Dispose()
    {
        _tar.Dispose();
        _limited.Dispose();
        _decompressed.Dispose();
        _file.Dispose();
    }

    private T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (EnvshipException)
        {
            throw;
        }
        catch (Exception ex) when (ex is TarFormatException || ArchiveReader.IsDamage(ex))
        {
            throw Damaged(ex);
        }
    }

    private void CheckExport(string name)
    {
        var expected = _manifest.Metadata.FirstOrDefault(m => m.Path == name);
        if (expected is null || _tar.TypeFlag is not ((byte)'0' or 0) || _tar.Size != expected.Size)
        {
            throw Tampered($"member '{name}' is not a file the manifest's metadata lists with that size");
        }

        using var data = new MemoryStream((int)Math.Min(expected.Size, 1 << 20));
        Guard(() =>
        {
            _tar.Data.CopyTo(data);
            return true;
        });
        if (Sha256.HexOf(data.ToArray()) != expected.Sha256)
        {
            throw Tampered($"member '{name}' does not match the SHA-256 in the manifest's metadata");
        }
    }

    private EnvshipException Tampered(string what) =>
        new(ExitCode.DamagedArchive, $"{_what}: {what}. The artifact was not made by envship or was tampered with; do not deploy it.");

    /// <summary>A file's data, whose read failures name the layer and the member.</summary>
    private sealed class DamageMappingStream(Stream inner, LayerMemberReader owner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return inner.Read(buffer);
            }
            catch (Exception ex) when (ArchiveReader.IsDamage(ex))
            {
                throw owner.Damaged(ex);
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
