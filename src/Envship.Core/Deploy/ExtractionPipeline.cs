using System.Buffers;
using System.Numerics;
using System.Runtime.ExceptionServices;

namespace Envship.Core.Deploy;

/// <summary>
/// Carries regular files from the one thread that reads the archive to a few worker threads that
/// write them. The reader queues a job per file and then its data, chunk by chunk, in archive order;
/// the bytes in flight stay under a fixed budget, so memory does not grow with the environment.
/// </summary>
/// <remarks>
/// It cannot deadlock: jobs are taken in the order they were queued, and only the newest job can
/// still be waiting for data, so every job before it can finish and give its budget back. Idle
/// workers are woken per batch of small files or per chunk of a big one, and always before the
/// reader itself waits, so queued work never sits behind a sleeping reader.
/// The first failure by archive order wins, wherever it happened, so an error names the same member
/// as a one-thread extraction would; jobs after it are dropped, and every worker has stopped before
/// <see cref="Complete"/> or <see cref="Stop"/> return.
/// </remarks>
internal sealed class ExtractionPipeline : IDisposable
{
    public const int ChunkSize = 1 << 20;
    public const long DefaultBudget = 16L << 20;

    // Empty and tiny files cost almost no budget; this keeps their queue bounded too.
    private const int MaxUnfinishedJobs = 8192;

    // Waking an idle worker for every small file costs more than writing it; they are woken in batches.
    private const int WakeBatch = 16;

    private readonly object _gate = new();
    private readonly Queue<FileWriteJob> _waiting = new();
    private readonly Stack<byte[]> _freeChunks = new();
    private readonly Thread[] _workers;
    private readonly Action<FileWriteJob> _write;
    private readonly Action? _workerExit;
    private readonly long _budget;
    private readonly CancellationTokenRegistration _cancellation;
    private long _bytesInFlight;
    private int _readerWaiting;
    private int _workersWaiting;
    private int _unfinishedJobs;
    private FileWriteJob? _delivering;
    private long _failedAt = long.MaxValue;
    private ExceptionDispatchInfo? _failure;
    private bool _closing;

    /// <param name="workerExit">Runs on each worker thread as it ends, to let go of what it kept between files.</param>
    public ExtractionPipeline(int workers, Action<FileWriteJob> write, CancellationToken cancellationToken, long budget = DefaultBudget, Action? workerExit = null)
    {
        _write = write;
        _workerExit = workerExit;
        _budget = Math.Max(budget, ChunkSize);
        _workers = new Thread[Math.Max(1, workers)];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = $"envship-write-{i}" };
            _workers[i].Start();
        }

        _cancellation = cancellationToken.Register(() => Fail(-1, new OperationCanceledException(cancellationToken)));
    }

    /// <summary>A buffer for the next <paramref name="length"/> bytes, once the budget has room for them.</summary>
    public byte[] Rent(int length)
    {
        var cost = Cost(length);
        lock (_gate)
        {
            while (_bytesInFlight > 0 && _bytesInFlight + cost > _budget && _failure is null)
            {
                ReaderWait();
            }

            _failure?.Throw();
            _bytesInFlight += cost;
            if (cost == ChunkSize && _freeChunks.TryPop(out var recycled))
            {
                return recycled;
            }
        }

        return cost == ChunkSize ? new byte[ChunkSize] : ArrayPool<byte>.Shared.Rent(cost);
    }

    /// <summary>Queues the job on its first call, then appends one chunk of its data (if any); <paramref name="last"/> ends its data.</summary>
    public void Deliver(FileWriteJob job, FileChunk? chunk, bool last)
    {
        lock (_gate)
        {
            _failure?.Throw();
            var whole = last && _delivering != job;
            if (_delivering != job)
            {
                while (_unfinishedJobs >= MaxUnfinishedJobs && _failure is null)
                {
                    ReaderWait();
                }

                _failure?.Throw();
                _unfinishedJobs++;
                _waiting.Enqueue(job);
                _delivering = job;
            }

            if (chunk is { } data)
            {
                job.Chunks.Enqueue(data);
            }

            if (last)
            {
                job.Delivered = true;
                _delivering = null;
            }

            if (_workersWaiting > 0 && (!whole || _waiting.Count >= WakeBatch))
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>For a worker: the job's next chunk, false at the end of its data; throws when the job was dropped.</summary>
    public bool TryNextChunk(FileWriteJob job, out FileChunk chunk)
    {
        lock (_gate)
        {
            while (true)
            {
                if (IsDropped(job))
                {
                    throw new OperationCanceledException("dropped after an earlier failure");
                }

                if (job.Chunks.TryDequeue(out chunk))
                {
                    return true;
                }

                if (job.Delivered)
                {
                    return false;
                }

                WorkerWait();
            }
        }
    }

    /// <summary>Gives a chunk's memory back to the budget once it is written.</summary>
    public void Release(FileChunk chunk)
    {
        var cost = Cost(chunk.Buffer.Length);
        lock (_gate)
        {
            _bytesInFlight -= cost;
            if (chunk.Buffer.Length == ChunkSize)
            {
                _freeChunks.Push(chunk.Buffer);
            }

            WakeReader();
        }

        if (chunk.Buffer.Length != ChunkSize)
        {
            ArrayPool<byte>.Shared.Return(chunk.Buffer);
        }
    }

    /// <summary>Waits until every queued file is written and finished, or throws the first failure.</summary>
    public void Drain()
    {
        lock (_gate)
        {
            while (_unfinishedJobs > 0 && _failure is null)
            {
                ReaderWait();
            }

            _failure?.Throw();
        }
    }

    /// <summary>Drains, stops the workers and throws the first failure, if any.</summary>
    public void Complete()
    {
        try
        {
            Drain();
        }
        finally
        {
            Close();
        }

        _failure?.Throw();
    }

    /// <summary>
    /// Records the reader's failure at member <paramref name="sequence"/>, drops the file it was
    /// delivering, lets the workers finish the files before it, stops them, and returns the failure
    /// to throw: the reader's own, or an earlier file's.
    /// </summary>
    public ExceptionDispatchInfo Stop(long sequence, Exception error)
    {
        Fail(sequence, error);
        Close();
        return _failure!;
    }

    public void Dispose()
    {
        _cancellation.Dispose();
        if (_workers.Any(w => w.IsAlive))
        {
            Fail(-1, new ObjectDisposedException(nameof(ExtractionPipeline)));
            Close();
        }
    }

    private void Fail(long sequence, Exception error)
    {
        lock (_gate)
        {
            if (sequence < _failedAt && !ReferenceEquals(error, _failure?.SourceException))
            {
                _failedAt = sequence;
                _failure = ExceptionDispatchInfo.Capture(error);
            }

            if (_delivering is { } partial)
            {
                partial.Abandoned = true;
                _delivering = null;
            }

            Monitor.PulseAll(_gate);
        }
    }

    private void Close()
    {
        lock (_gate)
        {
            _closing = true;
            Monitor.PulseAll(_gate);
        }

        foreach (var worker in _workers)
        {
            worker.Join();
        }
    }

    private bool IsDropped(FileWriteJob job) => job.Abandoned || job.Sequence > _failedAt;

    private void Work()
    {
        try
        {
            WorkOnJobs();
        }
        finally
        {
            _workerExit?.Invoke();
        }
    }

    private void WorkOnJobs()
    {
        while (Take() is { } job)
        {
            try
            {
                bool dropped;
                lock (_gate)
                {
                    dropped = IsDropped(job);
                }

                if (!dropped)
                {
                    _write(job);
                }
            }
            catch (Exception ex)
            {
                // A dropped job's own exception never wins: its sequence is after the failure that dropped it.
                Fail(job.Sequence, ex);
            }
            finally
            {
                Finish(job);
            }
        }
    }

    private FileWriteJob? Take()
    {
        lock (_gate)
        {
            while (true)
            {
                if (_waiting.TryDequeue(out var job))
                {
                    return job;
                }

                if (_closing)
                {
                    return null;
                }

                WorkerWait();
            }
        }
    }

    private void Finish(FileWriteJob job)
    {
        lock (_gate)
        {
            while (job.Chunks.TryDequeue(out var left))
            {
                _bytesInFlight -= Cost(left.Buffer.Length);
                if (left.Buffer.Length == ChunkSize)
                {
                    _freeChunks.Push(left.Buffer);
                }
                else
                {
                    ArrayPool<byte>.Shared.Return(left.Buffer);
                }
            }

            _unfinishedJobs--;
            WakeReader();
        }
    }

    /// <summary>The reader only ever waits for the workers, so it first wakes any that a batch left idle.</summary>
    private void ReaderWait()
    {
        if (_workersWaiting > 0)
        {
            Monitor.PulseAll(_gate);
        }

        _readerWaiting++;
        Monitor.Wait(_gate);
        _readerWaiting--;
    }

    private void WorkerWait()
    {
        _workersWaiting++;
        Monitor.Wait(_gate);
        _workersWaiting--;
    }

    private void WakeReader()
    {
        if (_readerWaiting > 0)
        {
            Monitor.PulseAll(_gate);
        }
    }

    private static int Cost(int length) => length >= ChunkSize ? ChunkSize : (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(length, 16));
}
