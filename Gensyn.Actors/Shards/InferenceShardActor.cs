using Akka.Actor;
using Akka.Event;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Shards;

/// <summary>
/// Inference mode: the worker delivered every prediction and committed to them, so nothing needs opening. The
/// batches to recompute are drawn as challenged steps are (after the commitment, from a fresh secret) and a verifier
/// recomputes them from the model. A shard is never resumed from a checkpoint: every batch is the worker's own, so
/// any batch can be recomputed.
/// </summary>
public sealed class InferenceShardActor : ShardActor
{
    public InferenceShardActor(ShardOrder order, ShardServices services) : base(order, services)
    {
    }

    protected override bool ResumesFromCheckpoints => false;

    protected override void OnResult(ShardResult result)
    {
        var c = BeginChallenge(result);
        var a = Attempt!;
        Log.Info("{0}: worker {1} committed predictions {2}; recomputing {3} batch(es): {4}", Label, a.WorkerId,
            result.MerkleRoot.ToString()[..12], c.Steps.Count, string.Join(", ", c.Steps));
        Services.Verifiers.Tell(new VerifyShard(Order.JobId, Order.Spec, Order.BaseDirectory, Order.Round,
            Order.Shard, a.Epoch, a.WorkerId, a.Address, result.MerkleRoot, Order.StartState, result.EndState, c.Steps,
            [], a.CrossClass(Order), Services.Blobs, Inference: true, Network: Services.Network()));
    }
}
