using Akka.Actor;
using Akka.Event;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Shards;

public sealed partial class ReplicatedShardActor
{
    /// <summary>The replica that fell silent in the dispute, and why, while the other one's shard is replayed in
    /// full.</summary>
    private (int Silent, string Reason)? _alone;

    /// <summary>
    /// A dispute that ended because one replica did not answer proves nothing about the other: a slow honest worker
    /// must not hand a cheater's root to the model. The silent replica is unavailable (a fault, not fraud); the one
    /// that answered stands only if a verifier's full replay of the shard gives its committed root.
    /// </summary>
    private bool SettleSilence(BisectionFault fault)
    {
        var silent = Enumerable.Range(0, 2).Where(i => _replicas[i].Reply is null).ToList();
        if (silent.Count == 0) return false;
        if (silent.Count == 2 || _order.Kind != JobKind.Train)
        {
            Decide(silent.Count == 2 ? Culprit.Both : (Culprit)silent[0], $"during the dispute: {fault.Reason}",
                null, null, VerdictOutcome.Unavailable);
            return true;
        }
        _alone = (silent[0], fault.Reason);
        _log.Info("{0}: replica {1} fell silent in the dispute; replaying the shard in full to judge the other",
            Label, silent[0]);
        _verifiers.Tell(new ReplayShard(_order.JobId, _order.Spec, _order.BaseDirectory, _order.Round, _order.Shard,
            _order.StartState, _blobs));
        return true;
    }

    private void OnReplayedAlone(ShardReplayed replayed)
    {
        if (_alone is not { } alone || replayed.Round != _order.Round || replayed.Shard != _order.Shard) return;
        _alone = null;
        var (silent, answered) = (_replicas[alone.Silent], _replicas[1 - alone.Silent]);
        var claimed = answered.Result!.MerkleRoot;
        var verdict = replayed.Root switch
        {
            null => Verdict(answered, VerdictOutcome.Inconclusive,
                $"the other replica fell silent and a full replay failed: {replayed.Failure}"),
            { } root when root == claimed => Verdict(answered, VerdictOutcome.Accepted,
                $"the other replica fell silent ({alone.Reason}); a full replay gives this replica's root"),
            { } root => Verdict(answered, VerdictOutcome.Fraud,
                $"a full replay of the shard gives root {root}, not the committed {claimed}") with
            {
                Expected = root, Claimed = claimed,
            },
        };
        silent.Child.Tell(new ShardActor.Decided(Verdict(silent, VerdictOutcome.Unavailable,
            $"it did not answer during the dispute: {alone.Reason}")));
        answered.Child.Tell(new ShardActor.Decided(verdict));
    }

    private ShardVerdict Verdict(Replica replica, VerdictOutcome outcome, string reason) =>
        new(_order.JobId, _order.Round, _order.Shard, replica.Result!.Epoch, replica.Result.WorkerId, outcome, reason);

    private static BisectionAnswer? Answer(BisectReply? reply) => reply switch
    {
        null => null,
        { Step: BisectStep.Top, First: { } top } => new TopAnswer(top),
        { Step: BisectStep.Children, First: { } left } => new ChildrenAnswer(left, reply.Second),
        { Step: BisectStep.Leaf, First: { } claim } => new LeafAnswer(claim, reply.Before,
            reply.BeforeProof is { } p ? new MerkleProof(p.Index, p.LeafCount, p.Siblings ?? []) : null),
        _ => null,
    };
}
