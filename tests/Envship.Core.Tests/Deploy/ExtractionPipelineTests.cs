using System.Diagnostics;
using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Tests.Deploy;

/// <summary>The hand-off between the archive reader and the writers: bounded, never stuck, and the earliest failure wins.</summary>
public sealed class ExtractionPipelineTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public void Cancelling_wakes_a_reader_waiting_for_budget_and_stops_every_worker()
    {
        using var cancellation = new CancellationTokenSource();
        var taken = new ManualResetEventSlim();
        ExtractionPipeline? self = null;
        // The worker takes the first chunk and never gives it back, so the budget stays full.
        using var pipeline = new ExtractionPipeline(2, job =>
        {
            _ = self!.TryNextChunk(job, out _);
            taken.Set();
            while (self.TryNextChunk(job, out _))
            {
            }
        }, cancellation.Token, ExtractionPipeline.ChunkSize);
        self = pipeline;
        var job = Job(1, size: 3 * ExtractionPipeline.ChunkSize);
        pipeline.Deliver(job, new FileChunk(pipeline.Rent(ExtractionPipeline.ChunkSize), ExtractionPipeline.ChunkSize), last: false);
        Assert.True(taken.Wait(Patience));

        var clock = Stopwatch.StartNew();
        cancellation.CancelAfter(100);
        var error = Record.Exception(() => pipeline.Rent(ExtractionPipeline.ChunkSize));

        Assert.IsType<OperationCanceledException>(error);
        Assert.IsType<OperationCanceledException>(pipeline.Stop(1, error).SourceException);
        Assert.True(clock.Elapsed < Patience, "stopping must not wait for the stuck file");
    }

    [Fact]
    public void The_earliest_failure_by_archive_order_wins_whichever_thread_saw_it_first()
    {
        var diskFull = new IOException("No space left on device", 28);
        using var pipeline = new ExtractionPipeline(2, job =>
        {
            if (job.Sequence == 2)
            {
                throw diskFull;
            }

            if (job.Sequence == 3)
            {
                throw new InvalidDataException("later file");
            }
        }, CancellationToken.None);
        for (var sequence = 1; sequence <= 3; sequence++)
        {
            pipeline.Deliver(Job(sequence, size: 0), null, last: true);
        }

        var winner = pipeline.Stop(5, new InvalidOperationException("the reader failed later"));

        Assert.Same(diskFull, winner.SourceException);
    }

    [Fact]
    public void A_workers_failure_reaches_the_reader_with_its_own_type()
    {
        var diskFull = new IOException("No space left on device", 28);
        using var pipeline = new ExtractionPipeline(1, _ => throw diskFull, CancellationToken.None);
        pipeline.Deliver(Job(1, size: 0), null, last: true);

        var seen = Record.Exception(pipeline.Drain);

        Assert.Same(diskFull, seen);
        Assert.Same(diskFull, Record.Exception(() => pipeline.Deliver(Job(2, size: 0), null, last: true)));
        Assert.Same(diskFull, Record.Exception(pipeline.Complete));
    }

    [Fact]
    public void Many_files_through_a_tiny_budget_all_arrive_in_order()
    {
        var written = new List<long>();
        var bytes = 0L;
        ExtractionPipeline? self = null;
        using var pipeline = new ExtractionPipeline(3, job =>
        {
            while (self!.TryNextChunk(job, out var chunk))
            {
                Interlocked.Add(ref bytes, chunk.Length);
                self.Release(chunk);
            }

            lock (written)
            {
                written.Add(job.Sequence);
            }
        }, CancellationToken.None, ExtractionPipeline.ChunkSize);
        self = pipeline;
        var expected = 0L;
        for (var sequence = 1; sequence <= 200; sequence++)
        {
            var size = sequence % 10 == 0 ? (3 * ExtractionPipeline.ChunkSize) + 17 : sequence * 31;
            var job = Job(sequence, size);
            for (var sent = 0; sent < size;)
            {
                var length = Math.Min(size - sent, ExtractionPipeline.ChunkSize);
                sent += length;
                pipeline.Deliver(job, new FileChunk(pipeline.Rent(length), length), last: sent == size);
            }

            expected += size;
        }

        pipeline.Complete();

        Assert.Equal(expected, bytes);
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), written.Order());
    }

    private static FileWriteJob Job(long sequence, int size) =>
        new(sequence, new ManifestEntry { Path = $"f{sequence}", Type = EntryType.File, Mode = 420, MtimeNs = 0, Size = size }, $"/nonexistent/f{sequence}");
}
