using System.Diagnostics;
using Gensyn.Actors.Blobs;

namespace Gensyn.Tests.Blobs;

/// <summary>
/// The pipelined chunk transfer (<see cref="ChunkPipe"/>): chunks arrive whole and in order, no more than the window is
/// taken ahead of the slower stage, and a failure on either side stops the other and is the one reported.
/// </summary>
public class ChunkPipeTests
{
    [Fact]
    public async Task A_file_is_sent_whole_and_in_order_in_chunks_of_the_given_size()
    {
        var bytes = new byte[10 * 1000 + 123];
        new Random(5).NextBytes(bytes);
        using var sent = new MemoryStream();
        var sizes = new List<int>();

        await ChunkPipe.SendAsync(new MemoryStream(bytes), 1000, 3, async (chunk, _) =>
        {
            await Task.Yield();
            sizes.Add(chunk.Length);
            sent.Write(chunk.Span);
        }, CancellationToken.None);

        Assert.Equal(bytes, sent.ToArray());
        Assert.Equal([.. Enumerable.Repeat(1000, 10), 123], sizes);
    }

    [Fact]
    public async Task The_receiving_side_takes_no_more_than_the_window_ahead_of_a_stalled_consumer()
    {
        var taken = 0;
        using var release = new SemaphoreSlim(0);
        using var stop = new CancellationTokenSource();
        var pipe = ChunkPipe.ReceiveAsync(4, _ =>
        {
            Interlocked.Increment(ref taken);
            return Task.FromResult<ReadOnlyMemory<byte>?>(new byte[16]);
        }, async (_, cancel) => await release.WaitAsync(cancel), stop.Token);

        // One chunk in the consumer, four queued, one taken and waiting for room: wait for the window to fill, then
        // give the producer a moment to overrun it if it would.
        var filled = Stopwatch.StartNew();
        while (Volatile.Read(ref taken) < 5 && filled.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(5);
        await Task.Delay(50);
        Assert.InRange(taken, 5, 6);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pipe);
    }

    [Fact]
    public async Task A_failing_consumer_stops_the_producer_and_its_own_error_is_reported()
    {
        var taken = 0;
        var pipe = ChunkPipe.ReceiveAsync(2, async cancel =>
        {
            await Task.Delay(1, cancel);
            Interlocked.Increment(ref taken);
            return new byte[16];
        }, (_, _) => throw new IOException("disk full"), CancellationToken.None);

        var e = await Assert.ThrowsAsync<IOException>(() => pipe);
        Assert.Equal("disk full", e.Message);
        Assert.InRange(taken, 1, 4);
    }

    [Fact]
    public async Task A_failing_producer_is_reported_and_nothing_after_its_failure_is_consumed()
    {
        var consumed = new List<byte>();
        var next = 0;
        var pipe = ChunkPipe.ReceiveAsync(2, _ => ++next <= 3
                ? Task.FromResult<ReadOnlyMemory<byte>?>(new[] { (byte)next })
                : Task.FromException<ReadOnlyMemory<byte>?>(new InvalidDataException("more than announced")),
            (chunk, _) =>
            {
                lock (consumed) consumed.Add(chunk.Span[0]);
                return ValueTask.CompletedTask;
            }, CancellationToken.None);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => pipe);
        Assert.Equal("more than announced", e.Message);
        Assert.All(consumed, b => Assert.InRange(b, 1, 3));
        Assert.Equal(consumed.Order(), consumed);
    }
}
