using System.Buffers;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Scanning;

namespace Envship.Core.Pack;

/// <summary>
/// Reads, hashes and scans the files on a thread of its own, a bounded amount ahead of the tar
/// writer, so that reading and hashing overlap with compressing and the writing thread only copies.
/// </summary>
internal sealed class ReadAheadFileSource : IPackedFileSource
{
    /// <summary>
    /// The reader fills one buffer of this size with as many files as fit (or a part of a large one)
    /// and hands it over whole: handing 50,000 small files over one by one cost more in thread
    /// wake-ups than reading them, and left the reader only a few files ahead.
    /// </summary>
    private const int BatchBytes = 1 << 20;

    /// <summary>Bounds the pieces of a batch of empty files.</summary>
    private const int BatchPieces = 4096;

    /// <summary>Batches in flight: at most this many MiB are held, whatever the size of the environment.</summary>
    private const int BatchesAhead = 16;

    private readonly ReadAheadQueue<Batch> _batches;
    private readonly CancellationToken _cancellationToken;
    private Batch? _batch;
    private int _next;

    /// <param name="items">The walked items, read at <paramref name="files"/> only.</param>
    /// <param name="files">Indexes of the regular files to read, in archive order.</param>
    /// <param name="cancellationToken">Checked at every piece, so a stop request does not wait for the end of a large file.</param>
    public ReadAheadFileSource(IReadOnlyList<InventoryItem> items, IReadOnlyList<int> files, ScanOptions scan, CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
        _batches = new ReadAheadQueue<Batch>("envship read-ahead", BatchesAhead, queue => Produce(queue, items, files, scan), batch => batch.Release());
    }

    public IPackedFile Next(InventoryItem planned)
    {
        var start = Take();
        if (start.Item is null || start.IsEnd || start.Length > 0 || start.Item.Entry.Path != planned.Entry.Path)
        {
            throw new InvalidOperationException($"read-ahead is out of step at '{planned.Entry.Path}'");
        }

        return new PiecedFile(this, start.Item.Entry);
    }

    public void Dispose()
    {
        _batch?.Release();
        _batch = null;
        _batches.Dispose();
    }

    /// <summary>
    /// The next piece. A batch's buffer goes back once its last piece was taken: a piece's bytes are
    /// copied out before the next piece is asked for.
    /// </summary>
    private Piece Take()
    {
        _cancellationToken.ThrowIfCancellationRequested();
        while (_batch is null || _next == _batch.Pieces.Count)
        {
            _batch?.Release();
            _batch = _batches.Take() ?? throw new InvalidOperationException("read-ahead ended before the last file");
            _next = 0;
        }

        return _batch.Pieces[_next++];
    }

    private static void Produce(ReadAheadQueue<Batch> queue, IReadOnlyList<InventoryItem> items, IReadOnlyList<int> files, ScanOptions scan)
    {
        var analyzer = new FileAnalyzer(scan.Prefix);
        using var scanner = analyzer.Begin();
        var batch = new Batch();
        try
        {
            foreach (var index in files)
            {
                var planned = items[index];
                var rewritten = PackedFileReader.TryRewrite(planned, scan, analyzer);
                if (rewritten is not null)
                {
                    batch = Add(queue, batch, new Piece { Item = rewritten.Value.Item });
                    using var content = new MemoryStream(rewritten.Value.Content, writable: false);
                    batch = AddContent(queue, batch, content, rewritten.Value.Content.Length);
                    batch = Add(queue, batch, new Piece { Item = rewritten.Value.Item, Warnings = rewritten.Value.Warnings, IsEnd = true });
                    continue;
                }

                batch = Add(queue, batch, new Piece { Item = planned });
                scanner.Reset();
                var path = planned.SourcePath!;
                using var stream = new ScanningReadStream(PrefixInventory.OpenSequential(path), path, planned.Entry.Size, scanner);
                batch = AddContent(queue, batch, stream, planned.Entry.Size);
                var (item, warnings) = PackedFileReader.Complete(planned, stream, scanner, analyzer, scan);
                batch = Add(queue, batch, new Piece { Item = item, Warnings = warnings, IsEnd = true });
            }

            if (batch.Pieces.Count > 0)
            {
                queue.Put(batch);
                batch = new Batch();
            }
        }
        finally
        {
            batch.Release();
        }
    }

    /// <summary>Reads <paramref name="size"/> bytes, or to the end if it comes first, into data pieces.</summary>
    private static Batch AddContent(ReadAheadQueue<Batch> queue, Batch batch, Stream data, long size)
    {
        var remaining = size;
        while (remaining > 0)
        {
            var free = batch.Free;
            var want = (int)Math.Min(remaining, free.Length);

            // The byte to spare lets a scanning stream see the file's end in the same read.
            var length = data.ReadAtLeast(free[..Math.Min(free.Length, want + 1)], want, throwOnEndOfStream: false);
            remaining -= length;
            batch = Add(queue, batch, new Piece { Buffer = batch.Buffer, Offset = batch.Used, Length = length });
            if (length < want)
            {
                break;
            }
        }

        return batch;
    }

    /// <summary>Adds the piece (whose bytes, if any, are already in the free space), and hands the batch over once full.</summary>
    private static Batch Add(ReadAheadQueue<Batch> queue, Batch batch, Piece piece)
    {
        batch.Pieces.Add(piece);
        batch.Used += piece.Length;
        if (batch.Used < BatchBytes && batch.Pieces.Count < BatchPieces)
        {
            return batch;
        }

        // A batch that Put cannot add is released there; releasing twice gives nothing back twice.
        queue.Put(batch);
        return new Batch();
    }

    private sealed class Batch
    {
        private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BatchBytes);

        public List<Piece> Pieces { get; } = [];
        public int Used { get; set; }
        public byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(Batch));
        public Span<byte> Free => Buffer.AsSpan(Used, BatchBytes - Used);

        public void Release()
        {
            var buffer = Interlocked.Exchange(ref _buffer, null);
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>A file's start (its planned item), a run of its bytes in the batch's buffer, or its end (the analyzed item).</summary>
    private sealed class Piece
    {
        public InventoryItem? Item { get; init; }
        public byte[]? Buffer { get; init; }
        public int Offset { get; init; }
        public int Length { get; init; }
        public IReadOnlyList<string>? Warnings { get; init; }
        public bool IsEnd { get; init; }
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
            _current.Buffer.AsSpan(_current.Offset + _offset, take).CopyTo(buffer);
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
                    destination.Write(_current.Buffer!, _current.Offset + _offset, _current.Length - _offset);
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
            _current = null;
            base.Dispose(disposing);
        }

        private void Advance()
        {
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
