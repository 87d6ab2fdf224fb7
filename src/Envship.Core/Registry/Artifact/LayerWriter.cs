using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Scanning;
using Envship.Core.Hashing;

namespace Envship.Core.Registry.Artifact;

/// <summary>A layer written to a file: its descriptor (digest and size of the compressed bytes) and where it is.</summary>
public sealed record LayerBlob(PlannedLayer Layer, OciDescriptor Descriptor, string Path);

/// <summary>
/// Writes one planned layer as a deterministic tar (mode from the manifest, mtime 0, owner and
/// group 0 with empty names, the archive's own header rules) in independent zstd frames, hashing
/// the compressed bytes as they reach the file. Memory stays bounded by the compressor's frames.
/// </summary>
public static class LayerWriter
{
    /// <param name="openFile">Opens the bytes of a regular-file entry (exactly its size).</param>
    /// <param name="export">The bytes of an embedded export by its <c>.envship/</c> path.</param>
    public static LayerBlob Write(PlannedLayer layer, Func<ManifestEntry, Stream> openFile, Func<string, byte[]> export, string outputPath, int level, int jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(openFile);
        ArgumentNullException.ThrowIfNull(export);
        using var file = new FileStream(outputPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        using var hashing = new HashingWriteStream(file);
        using (var tar = new TarArchiveWriter(hashing, ArchiveFormat.TarZst, level, jobs, archiveRoot: ""))
        {
            foreach (var metadata in layer.Exports)
            {
                tar.WriteMetadata(metadata.Path, export(metadata.Path), 0);
            }

            foreach (var entry in layer.Entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var timeless = entry with { MtimeNs = 0 };
                if (entry.Type == EntryType.File)
                {
                    using var data = openFile(entry);
                    tar.AddFile(timeless, data);
                }
                else
                {
                    tar.Add(new InventoryItem(timeless, null));
                }
            }
        }

        hashing.Flush();
        var descriptor = new OciDescriptor
        {
            MediaType = OciMediaTypes.Layer,
            Digest = "sha256:" + hashing.HashHex(),
            Size = hashing.BytesWritten,
            Annotations = layer.Annotations,
        };
        return new LayerBlob(layer, descriptor, outputPath);
    }

    /// <summary>Passes writes through, keeping their SHA-256 and count.</summary>
    internal sealed class HashingWriteStream(Stream inner) : Stream
    {
        private readonly Sha256Hasher _hash = Sha256.CreateHasher();

        public long BytesWritten { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => BytesWritten;
        public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }

        public string HashHex() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            BytesWritten += buffer.Length;
            inner.Write(buffer);
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
