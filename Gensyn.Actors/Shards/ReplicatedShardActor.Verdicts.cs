using Akka.Actor;

namespace Gensyn.Actors.Shards;

public sealed partial class ReplicatedShardActor
{
    /// <summary>An accepted verdict held back while the other replica, whose result is in, is still being judged.</summary>
    private (ShardActor.Judged Judged, IActorRef Replica)? _heldVerdict;

    /// <summary>
    /// Passes a replica's verdict to the job. An accepted one waits for the other replica's verdict when that replica
    /// has revealed a result: the accepted verdict completes the shard (and may close the round), and a verdict that
    /// arrives after its round closed is no longer counted, so the other replica's rejection, evidence for its
    /// slash, goes first.
    /// </summary>
    private void OnJudged(ShardActor.Judged judged)
    {
        if (Index(Sender) is { } i)
        {
            _replicas[i].Accepted = judged.Verdict.IsAccepted;
            var other = _replicas[1 - i];
            if (judged.Verdict.IsAccepted && other.Result is not null && other.Accepted is null && !other.Done)
            {
                _heldVerdict = (judged, Sender);
                return;
            }
        }
        Context.Parent.Forward(judged);
        ReleaseHeldVerdict();
    }

    /// <summary>Sends the held accepted verdict on, as from its replica (the job answers that replica).</summary>
    private void ReleaseHeldVerdict()
    {
        if (_heldVerdict is not { } held) return;
        _heldVerdict = null;
        Context.Parent.Tell(held.Judged, held.Replica);
    }
}
