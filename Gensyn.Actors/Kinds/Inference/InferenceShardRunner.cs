using Akka.Event;
using Gensyn.Actors.Workers;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Inference;

namespace Gensyn.Actors.Kinds.Inference;

/// <summary>
/// A worker's inference shard: the model's logits for each batch of the shard's items, uploaded whole as the
/// predictions file, committed to by the Merkle root over the batches and signed.
/// </summary>
public static class InferenceShardRunner
{
    public static async Task<CommittedShard> Run(ShardRun run, CancellationToken token)
    {
        var (compute, a, spec, clock) = (run.Compute, run.Assignment, run.Spec, run.Clock);
        var prepared = TimeSpan.Zero;
        var outcome = await compute.Thread.Run(() =>
        {
            var session = compute.InferenceSession(a, spec);
            prepared = clock.Elapsed;
            var observer = new ShardProgressObserver(compute, a, session.Shard(a.Shard).Batches, run.Network);
            return session.RunShard(run.Start, a.Shard, observer.OnStep, token, compute.Options.Faults.SkippedBatches);
        });
        var inferred = clock.Elapsed;
        token.ThrowIfCancellationRequested();
        var bytes = PredictionsFile.Serialize(outcome.Predictions);
        var hash = compute.Store.Put(bytes);
        await compute.Link.UploadAsync(hash, bytes, token);
        token.ThrowIfCancellationRequested();
        var result = run.Signed(new ShardResult(a.JobId, a.Round, a.Shard, a.Epoch, run.WorkerId, hash, outcome.Root,
            outcome.Losses.ToList(), "", Math.Round((inferred - prepared).TotalSeconds, 3)));
        var fetched = run.Fetched;
        run.Log.Info($"{a.JobId} shard {a.Shard} predicted: {outcome.Predictions.Count} items " +
                     $"in {outcome.Losses.Count} batches, " +
                     $"root {outcome.Root} (fetch {fetched.TotalMilliseconds:F0} ms, " +
                     $"data and model {(prepared - fetched).TotalMilliseconds:F0} ms, " +
                     $"infer {(inferred - prepared).TotalMilliseconds:F0} ms, " +
                     $"upload {(clock.Elapsed - inferred).TotalMilliseconds:F0} ms)");
        return new CommittedShard(a, null, null, result);
    }
}
