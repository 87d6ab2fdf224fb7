using System.Runtime.ExceptionServices;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive;

/// <summary>
/// One producer thread handing items to one consumer through a bounded queue. The producer's
/// failure reaches the consumer's <see cref="Take"/> with its original type; disposing stops and
/// joins the producer and releases whatever was never taken, so no thread outlives its reader.
/// </summary>
/// <remarks>
/// A waiting side sleeps on a monitor and is woken once: BlockingCollection's semaphores spin
/// first, and on two cores the spinning (sched_yield in a loop) took CPU from the work it waited for.
/// </remarks>
internal sealed class ReadAheadQueue<T> : IDisposable
    where T : class
{
    private readonly Queue<T> _items = new();
    private readonly int _capacity;
    private readonly Action<T> _release;
    private readonly Thread _producer;
    private ExceptionDispatchInfo? _failure;
    private bool _completed;
    private bool _stopping;
    private bool _disposed;

    /// <param name="produce">Runs on the producer thread and calls <see cref="Put"/>; returning ends the queue.</param>
    /// <param name="release">Gives back what an item holds (pooled buffers) when it is dropped untaken.</param>
    public ReadAheadQueue(string threadName, int capacity, Action<ReadAheadQueue<T>> produce, Action<T> release)
    {
        _capacity = Math.Max(1, capacity);
        _release = release;
        _producer = new Thread(() => Run(produce)) { IsBackground = true, Name = threadName };
        _producer.Start();
    }

    /// <summary>Adds an item, waiting while the queue is full; an item that cannot be added is released.</summary>
    /// <exception cref="OperationCanceledException">The queue is being disposed.</exception>
    public void Put(T item)
    {
        lock (_items)
        {
            while (_items.Count >= _capacity && !_stopping)
            {
                Monitor.Wait(_items);
            }

            if (_stopping)
            {
                _release(item);
                throw new OperationCanceledException("the reader stopped");
            }

            _items.Enqueue(item);
            if (_items.Count == 1)
            {
                Monitor.PulseAll(_items);
            }
        }
    }

    /// <summary>The next item, or null once the producer has finished; rethrows the producer's failure.</summary>
    public T? Take()
    {
        lock (_items)
        {
            while (_items.Count == 0 && !_completed)
            {
                Monitor.Wait(_items);
            }

            if (_items.TryDequeue(out var item))
            {
                if (_items.Count == _capacity - 1)
                {
                    Monitor.PulseAll(_items);
                }

                return item;
            }
        }

        Volatile.Read(ref _failure)?.Throw();
        return null;
    }

    /// <summary>Waits for the producer to finish on its own.</summary>
    public void Join() => _producer.Join();

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        lock (_items)
        {
            _stopping = true;
            Monitor.PulseAll(_items);
        }

        _producer.Join();
        lock (_items)
        {
            while (_items.TryDequeue(out var left))
            {
                _release(left);
            }
        }
    }

    private void Run(Action<ReadAheadQueue<T>> produce)
    {
        try
        {
            produce(this);
        }
        catch (OperationCanceledException) when (Volatile.Read(ref _stopping))
        {
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _failure, ExceptionDispatchInfo.Capture(ex));
        }
        finally
        {
            // After the failure is recorded, so a consumer that finds the queue ended also finds why.
            lock (_items)
            {
                _completed = true;
                Monitor.PulseAll(_items);
            }
        }
    }
}
