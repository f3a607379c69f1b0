using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Training.Checkpoints;

namespace Gensyn.Actors.Shards;

/// <summary>The checks a shard makes on the blobs it hands a worker: spec, start state and checkpoint.</summary>
public static class ShardBlobs
{
    /// <summary>Whether the job's spec and the round's start state are in the store and pass their hashes (else why
    /// not; a corrupt one is removed, and the job stores it again).</summary>
    public static bool InputsIntact(BlobStore store, ShardOrder order, out string problem)
    {
        try
        {
            store.Get(order.Spec.Hash);
            store.Get(order.StartState);
            problem = "";
            return true;
        }
        catch (BlobException e)
        {
            problem = e.Message;
            return false;
        }
    }

    /// <summary>
    /// A checkpoint is used only if its blob passes its hash and loads as this shard's checkpoint; then
    /// <paramref name="localStep"/> is the step it was taken at, else <paramref name="reason"/> says why not.
    /// </summary>
    public static bool UsableCheckpoint(BlobStore store, ShardOrder order, Sha256Digest checkpoint, out int localStep,
        out string reason)
    {
        localStep = 0;
        try
        {
            var loaded = ShardCheckpointFile.Deserialize(store.Get(checkpoint), $"checkpoint {checkpoint}");
            localStep = loaded.LocalStep;
            reason = $"it belongs to round {loaded.Round} shard {loaded.Shard}";
            if (loaded.Round != order.Round || loaded.Shard != order.Shard) return false;
            reason = $"it carries {loaded.Digests.Count} committed digests for step {loaded.LocalStep}, the shard " +
                     $"commits every {order.CommitEvery} steps";
            return order.CommitsAt(loaded.LocalStep, loaded.Digests.Count);
        }
        catch (Exception e) when (e is BlobException or CheckpointException)
        {
            reason = e.Message;
            return false;
        }
    }
}
