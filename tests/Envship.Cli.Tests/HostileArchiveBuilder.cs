using System.Formats.Tar;
using System.IO.Compression;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using ZstdSharp;

namespace Envship.Cli.Tests;

/// <summary>One tar member as the hostile-archive tests rewrite it: name, type, data, link target and extra pax records.</summary>
public sealed record RawMember(string Name, TarEntryType Type, byte[] Data, string? LinkName = null)
{
    public UnixFileMode Mode { get; init; } = (UnixFileMode)0b110_100_100;
    public DateTimeOffset ModificationTime { get; init; } = DateTimeOffset.UnixEpoch;
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
    public int DeviceMajor { get; init; }
    public int DeviceMinor { get; init; }
}

/// <summary>What to write: the manifest (re-serialized and re-signed unless given raw), the members, and anything after the tar's end.</summary>
public sealed record HostileArchive(Manifest Manifest, IReadOnlyList<RawMember> Members)
{
    public byte[]? RawManifest { get; init; }
    public bool SignManifest { get; init; } = true;

    /// <summary>When set, the digest is computed over these bytes instead of the manifest written.</summary>
    public byte[]? SignedManifest { get; init; }
    public long? DeclaredManifestSize { get; init; }
    public long TrailingZeros { get; init; }
}

/// <summary>Reads a valid plain-tar envship archive into editable members, and writes edited copies in any format.</summary>
public static class HostileArchiveBuilder
{
    public static HostileArchive Read(string plainTar)
    {
        using var stream = File.OpenRead(plainTar);
        using var reader = new TarReader(stream);
        var first = reader.GetNextEntry(copyData: true)!;
        using var json = new MemoryStream();
        first.DataStream!.CopyTo(json);
        var manifest = ManifestJson.Deserialize(json.ToArray(), plainTar);
        var members = new List<RawMember>();
        while (reader.GetNextEntry(copyData: true) is { } entry)
        {
            using var data = new MemoryStream();
            entry.DataStream?.CopyTo(data);
            members.Add(new RawMember(entry.Name, entry.EntryType, data.ToArray(), entry.LinkName.Length > 0 ? entry.LinkName : null)
            {
                Mode = entry.Mode,
                ModificationTime = entry.ModificationTime,
            });
        }

        return new HostileArchive(manifest, members);
    }

    public static string Write(string path, HostileArchive archive, ArchiveFormat format)
    {
        ArgumentNullException.ThrowIfNull(archive);
        using (var file = File.Create(path))
        {
            Stream compressor = format switch
            {
                ArchiveFormat.TarZst => new CompressionStream(file, 3, leaveOpen: true),
                ArchiveFormat.TarGz => new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true),
                _ => file,
            };
            var tar = new MemoryStream();
            using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
            {
                WriteManifest(writer, archive);
                foreach (var member in archive.Members)
                {
                    writer.WriteEntry(ToEntry(member));
                }
            }

            var bytes = tar.ToArray();
            if (archive.DeclaredManifestSize is { } declared)
            {
                PatchManifestSize(bytes, declared);
            }

            compressor.Write(bytes);
            WriteZeros(compressor, archive.TrailingZeros);
            if (!ReferenceEquals(compressor, file))
            {
                compressor.Dispose();
            }
        }

        return path;
    }

    private static void WriteManifest(TarWriter writer, HostileArchive archive)
    {
        var json = archive.RawManifest ?? ManifestJson.Serialize(archive.Manifest);
        var attributes = archive.SignManifest ? ManifestDigest.Attribute(archive.SignedManifest ?? json) : [];
        var entry = new PaxTarEntry(TarEntryType.RegularFile, Manifest.EntryName, attributes)
        {
            Mode = (UnixFileMode)0b110_100_100,
            DataStream = new MemoryStream(json),
        };
        writer.WriteEntry(entry);
    }

    private static PaxTarEntry ToEntry(RawMember member)
    {
        var entry = new PaxTarEntry(member.Type, member.Name, member.Attributes)
        {
            Mode = member.Mode,
            ModificationTime = member.ModificationTime,
        };
        if (member.LinkName is not null)
        {
            entry.LinkName = member.LinkName;
        }

        if (member.Type is TarEntryType.CharacterDevice or TarEntryType.BlockDevice)
        {
            entry.DeviceMajor = member.DeviceMajor;
            entry.DeviceMinor = member.DeviceMinor;
        }

        if (member.Type is TarEntryType.RegularFile)
        {
            entry.DataStream = new MemoryStream(member.Data);
        }

        return entry;
    }

    /// <summary>Rewrites the ustar size field of the manifest's header block (the one after its pax header) and its checksum.</summary>
    private static void PatchManifestSize(byte[] tar, long size)
    {
        for (var block = 0; block + 512 <= tar.Length; block += 512)
        {
            var header = tar.AsSpan(block, 512);
            if (header[156] == (byte)'0' && header[..100].IndexOf(System.Text.Encoding.ASCII.GetBytes(Manifest.EntryName)) == 0)
            {
                System.Text.Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0", header.Slice(124, 12));
                header.Slice(148, 8).Fill((byte)' ');
                var sum = 0;
                foreach (var b in header)
                {
                    sum += b;
                }

                System.Text.Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ", header.Slice(148, 8));
                return;
            }
        }

        throw new InvalidOperationException("no manifest header block found");
    }

    private static void WriteZeros(Stream output, long count)
    {
        var zeros = new byte[1 << 20];
        for (long left = count; left > 0; left -= zeros.Length)
        {
            output.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
        }
    }
}
