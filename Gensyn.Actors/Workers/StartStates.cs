using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Outer;

namespace Gensyn.Actors.Workers;

/// <summary>
/// Where a worker gets an assignment's start state: rebuilt from the previous round's start and end states it holds
/// and the round's update blob (<see cref="StartDelta"/>) when the assignment offers a delta, and fetched whole when it
/// does not, when the worker lacks either state, or when the rebuilt state does not hash to the assigned start state.
/// Either way the bytes returned hash to <see cref="ShardAssignment.StartState"/>, and are kept in the store.
/// </summary>
public static class StartStates
{
    /// <summary>The start state's bytes and whether they were rebuilt (true) or fetched whole (false).</summary>
    public static async Task<(byte[] Bytes, bool Rebuilt)> GetAsync(
        ShardAssignment a, long step, BlobStore store, Func<Sha256Digest, CancellationToken, Task<byte[]>> fetch,
        CancellationToken token)
    {
        if (a.Delta is { } d && Held(store, d.LastStart) is { } lastStart && Held(store, d.LastEnd) is { } lastEnd)
        {
            byte[]? update = null;
            try
            {
                update = await fetch(d.Update, token);
            }
            catch (BlobException)
            {
                // No update blob: the full state below.
            }
            if (update is not null
                && StartDelta.TryRebuild(lastStart, lastEnd, update, step, a.StartState) is { } bytes)
            {
                store.Put(a.StartState, bytes);
                return (bytes, true);
            }
        }
        var full = await fetch(a.StartState, token);
        store.Put(a.StartState, full);
        return (full, false);
    }

    private static byte[]? Held(BlobStore store, Sha256Digest hash)
    {
        if (!store.Contains(hash)) return null;
        try
        {
            return store.Get(hash);
        }
        catch (BlobException)
        {
            return null;
        }
    }
}
