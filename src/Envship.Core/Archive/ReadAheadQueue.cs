using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Envship.Core.Archive;

/// <summary>
/// One producer thread handing items to one consumer through a bounded queue. The producer's
/// failure reaches the consumer's <see cref="Take"/> with its original type; disposing stops and
/// joins the producer and releases whatever was never taken, so no thread outlives its reader.
/// </summary>
internal sealed class ReadAheadQueue<T> : IDisposable
    where T : class
{
    private readonly BlockingCollection<T> _items;
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<T> _release;
    private readonly Thread _producer;
    private ExceptionDispatchInfo? _failure;
    private bool _disposed;

    /// <param name="produce">Runs on the producer thread and calls <see cref="Put"/>; returning ends the queue.</param>
    /// <param name="release">Gives back what an item holds (pooled buffers) when it is dropped untaken.</param>
    public ReadAheadQueue(string threadName, int capacity, Action<ReadAheadQueue<T>> produce, Action<T> release)
    {
        _items = new BlockingCollection<T>(capacity);
        _release = release;
        _producer = new Thread(() => Run(produce)) { IsBackground = true, Name = threadName };
        _producer.Start();
    }

    /// <summary>Adds an item, waiting while the queue is full; an item that cannot be added is released.</summary>
    public void Put(T item)
    {
        try
        {
            _items.Add(item, _stop.Token);
        }
        catch
        {
            _release(item);
            throw;
        }
    }

    /// <summary>The next item, or null once the producer has finished; rethrows the producer's failure.</summary>
    public T? Take()
    {
        if (_items.TryTake(out var item, Timeout.Infinite))
        {
            return item;
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
        _stop.Cancel();
        _producer.Join();
        while (_items.TryTake(out var left))
        {
            _release(left);
        }

        _items.Dispose();
        _stop.Dispose();
    }

    private void Run(Action<ReadAheadQueue<T>> produce)
    {
        try
        {
            produce(this);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _failure, ExceptionDispatchInfo.Capture(ex));
        }
        finally
        {
            // After the failure is recorded, so a consumer that finds the queue ended also finds why.
            _items.CompleteAdding();
        }
    }
}
