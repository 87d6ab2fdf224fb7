using System.Buffers;
using Envship.Core.Scanning;

namespace Envship.Core.Archive;

/// <summary>
/// Reads, hashes and scans the files on a thread of its own, a bounded amount ahead of the tar
/// writer, so that reading and hashing overlap with compressing and the writing thread only copies.
/// </summary>
internal sealed class ReadAheadFileSource : IPackedFileSource
{
    private const int PieceSize = 1 << 20;

    /// <summary>Pieces in flight: at most this many MiB are held, whatever the size of the environment.</summary>
    private const int PiecesAhead = 32;

    private readonly ReadAheadQueue<Piece> _pieces;

    public ReadAheadFileSource(IReadOnlyList<InventoryItem> files, ScanOptions scan)
    {
        _pieces = new ReadAheadQueue<Piece>("envship read-ahead", PiecesAhead, queue => Produce(queue, files, scan), piece => piece.Release());
    }

    public IPackedFile Next(InventoryItem planned)
    {
        var start = Take();
        if (start.Item is null || start.IsEnd || start.Buffer is not null || start.Item.Entry.Path != planned.Entry.Path)
        {
            throw new InvalidOperationException($"read-ahead is out of step at '{planned.Entry.Path}'");
        }

        return new PiecedFile(this, start.Item.Entry);
    }

    public void Dispose() => _pieces.Dispose();

    private Piece Take() => _pieces.Take() ?? throw new InvalidOperationException("read-ahead ended before the last file");

    private static void Produce(ReadAheadQueue<Piece> queue, IReadOnlyList<InventoryItem> files, ScanOptions scan)
    {
        var analyzer = new FileAnalyzer(scan.Prefix);
        using var scanner = analyzer.Begin();
        foreach (var planned in files)
        {
            var rewritten = PackedFileReader.TryRewrite(planned, scan, analyzer);
            if (rewritten is not null)
            {
                queue.Put(new Piece { Item = rewritten.Value.Item });
                var copy = ArrayPool<byte>.Shared.Rent(Math.Max(1, rewritten.Value.Content.Length));
                rewritten.Value.Content.CopyTo(copy, 0);
                queue.Put(new Piece { Buffer = copy, Length = rewritten.Value.Content.Length });
                queue.Put(new Piece { Item = rewritten.Value.Item, Warnings = rewritten.Value.Warnings, IsEnd = true });
                continue;
            }

            queue.Put(new Piece { Item = planned });
            scanner.Reset();
            var path = planned.SourcePath!;
            using var stream = new ScanningReadStream(PrefixInventory.OpenForScan(path), path, planned.Entry.Size, scanner);
            var remaining = planned.Entry.Size;
            while (remaining > 0)
            {
                var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(remaining, PieceSize));
                var length = stream.ReadAtLeast(buffer.AsSpan(0, (int)Math.Min(remaining, PieceSize)), (int)Math.Min(remaining, PieceSize), throwOnEndOfStream: false);
                remaining -= length;
                queue.Put(new Piece { Buffer = buffer, Length = length });
                if (length == 0)
                {
                    break;
                }
            }

            var (item, warnings) = PackedFileReader.Complete(planned, stream, scanner, analyzer, scan);
            queue.Put(new Piece { Item = item, Warnings = warnings, IsEnd = true });
        }
    }

    private sealed class Piece
    {
        public InventoryItem? Item { get; init; }
        public byte[]? Buffer { get; init; }
        public int Length { get; init; }
        public IReadOnlyList<string>? Warnings { get; init; }
        public bool IsEnd { get; init; }

        public void Release()
        {
            if (Buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(Buffer);
            }
        }
    }

    /// <summary>The pieces of one file as a stream, up to its end piece.</summary>
    private sealed class PiecedFile(ReadAheadFileSource source, ManifestEntry entry) : Stream, IPackedFile
    {
        private Piece? _current;
        private int _offset;
        private Piece? _end;
        private long _position;

        public ManifestEntry Entry => entry;
        public Stream Data => this;
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => entry.Size;

        public override long Position
        {
            get => _position;
            set => Seek(value, SeekOrigin.Begin);
        }

        public InventoryItem Finish(List<string> warnings)
        {
            while (_end is null)
            {
                Advance();
            }

            warnings.AddRange(_end.Warnings ?? []);
            return _end.Item!;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (_end is null && (_current is null || _offset == _current.Length))
            {
                Advance();
            }

            if (_end is not null || buffer.IsEmpty)
            {
                return 0;
            }

            var take = Math.Min(buffer.Length, _current!.Length - _offset);
            _current.Buffer.AsSpan(_offset, take).CopyTo(buffer);
            _offset += take;
            _position += take;
            return take;
        }

        /// <summary>Hands each piece to the destination whole, with no copy through a small buffer.</summary>
        public override void CopyTo(Stream destination, int bufferSize)
        {
            ArgumentNullException.ThrowIfNull(destination);
            while (true)
            {
                if (_current is not null && _offset < _current.Length)
                {
                    destination.Write(_current.Buffer!, _offset, _current.Length - _offset);
                    _position += _current.Length - _offset;
                    _offset = _current.Length;
                }

                if (_end is not null)
                {
                    return;
                }

                Advance();
            }
        }

        public override long Seek(long offset, SeekOrigin origin) =>
            (origin == SeekOrigin.Begin ? offset : origin == SeekOrigin.Current ? _position + offset : entry.Size + offset) == _position
                ? _position
                : throw new NotSupportedException("A read-ahead file reads forward only.");

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _current?.Release();
            _current = null;
            base.Dispose(disposing);
        }

        private void Advance()
        {
            _current?.Release();
            _current = null;
            var piece = source.Take();
            if (piece.IsEnd)
            {
                _end = piece;
                return;
            }

            _current = piece;
            _offset = 0;
        }
    }
}
