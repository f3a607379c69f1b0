using System.Buffers;
using System.Threading.Channels;

namespace Gensyn.Actors.Blobs;

/// <summary>
/// Pipelined chunk transfers: two stages joined by a queue of at most <c>inFlight</c> chunks, so that the disk and
/// the hash on one side and the wire on the other work at the same time, and memory holds no more than that queue
/// (and a chunk in each stage) whatever the blob's size. A failure in either stage stops the other and is what the
/// caller sees.
/// </summary>
public static class ChunkPipe
{
    /// <summary>
    /// Reads <paramref name="source"/> to its end in chunks of <paramref name="chunkBytes"/>, up to
    /// <paramref name="inFlight"/> of them ahead of <paramref name="send"/>, which gets each in order. A chunk's
    /// memory is reused once <paramref name="send"/> has completed for it.
    /// </summary>
    public static Task SendAsync(Stream source, int chunkBytes, int inFlight,
        Func<ReadOnlyMemory<byte>, CancellationToken, Task> send, CancellationToken cancel) =>
        RunAsync<(byte[] Buffer, int Length)>(inFlight, async (queue, stop) =>
        {
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(chunkBytes);
                int read;
                try
                {
                    read = await source.ReadAtLeastAsync(buffer.AsMemory(0, chunkBytes), chunkBytes,
                        throwOnEndOfStream: false, stop);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }
                if (read == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return;
                }
                await queue.WriteAsync((buffer, read), stop);
            }
        }, async (chunk, stop) =>
        {
            try
            {
                await send(chunk.Buffer.AsMemory(0, chunk.Length), stop);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk.Buffer);
            }
        }, cancel);

    /// <summary> Takes chunks from <paramref name="next"/> (null at the end) and hands them in order to <paramref
    /// name="consume"/>, with up to <paramref name="inFlight"/> taken ahead of it: the receiving side, where <paramref
    /// name="next"/> reads the wire and checks each chunk as it arrives, and <paramref name="consume"/> hashes and
    /// writes it. </summary>
    public static Task ReceiveAsync(int inFlight, Func<CancellationToken, Task<ReadOnlyMemory<byte>?>> next,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> consume, CancellationToken cancel) =>
        RunAsync<ReadOnlyMemory<byte>>(inFlight, async (queue, stop) =>
        {
            while (await next(stop) is { } chunk) await queue.WriteAsync(chunk, stop);
        }, async (chunk, stop) => await consume(chunk, stop), cancel);

    private static async Task RunAsync<T>(int inFlight, Func<ChannelWriter<T>, CancellationToken, Task> produce,
        Func<T, CancellationToken, Task> consume, CancellationToken cancel)
    {
        var queue = Channel.CreateBounded<T>(new BoundedChannelOptions(Math.Max(1, inFlight))
        {
            SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var consumer = Task.Run(async () =>
        {
            try
            {
                await foreach (var chunk in queue.Reader.ReadAllAsync(stop.Token)) await consume(chunk, stop.Token);
            }
            catch
            {
                await stop.CancelAsync();
                throw;
            }
        }, CancellationToken.None);
        Exception? failure = null;
        try
        {
            await produce(queue.Writer, stop.Token);
            queue.Writer.Complete();
        }
        catch (Exception e)
        {
            failure = e;
            queue.Writer.TryComplete();
            await stop.CancelAsync();
        }
        try
        {
            await consumer;
        }
        catch when (failure is null || failure is OperationCanceledException && !cancel.IsCancellationRequested)
        {
            throw; // the consumer failed first: the producer only saw it stop
        }
        catch when (failure is not null)
        {
            // Stopped by the producer's failure, which is reported below.
        }
        finally
        {
            Release(queue.Reader);
        }
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
    }

    /// <summary>Returns the pooled buffers of chunks left in the queue after a failure.</summary>
    private static void Release<T>(ChannelReader<T> queue)
    {
        while (queue.TryRead(out var left))
            if (left is ValueTuple<byte[], int> pooled) ArrayPool<byte>.Shared.Return(pooled.Item1);
    }
}
