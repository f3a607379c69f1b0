using Akka.Actor;
using Akka.Event;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Shards;

/// <summary>
/// Spot-check mode, for a training shard: when the worker commits a signed result, the steps to challenge are drawn
/// from a fresh secret bound to the committed root, the worker is asked to open the states around them, and a
/// verifier replays them from the opened states. A worker that does not open them in time is judged unavailable. A
/// resumed worker's steps 1..c are its checkpoint maker's: the verifier replays them from the round's start state.
/// The worker is free for its next shard once its result is committed (<see cref="ShardActor.FreeWorker"/>).
/// </summary>
public class SpotCheckShardActor : ShardActor
{
    public SpotCheckShardActor(ShardOrder order, ShardServices services) : base(order, services)
    {
    }

    /// <summary>A spot-checked training worker does not upload its end state: the verifier's bit-for-bit replay of the
    /// last segment rebuilds it, or the worker opens it in full when the check cannot (another numeric class).
    /// </summary>
    protected override bool EndStateRebuilt => true;

    protected override void OnResult(ShardResult result)
    {
        ReportThroughput();
        Challenge(result);
        FreeWorker();
    }

    /// <summary>
    /// Asks the worker to open the drawn steps — fewer for a worker with a long honest streak, never none — or, for
    /// replicas whose roots agree, the <paramref name="given"/> steps, to prove possession only.
    /// </summary>
    protected void Challenge(ShardResult result, IReadOnlyList<int>? given = null)
    {
        var c = BeginChallenge(result, given is null ? null : a => a.ProvingPossession(result, given));
        var a = Attempt!;
        Log.Info("{0}: worker {1} committed root {2}; challenging {3} step(s): {4}", Label, a.WorkerId,
            result.MerkleRoot.ToString()[..12], c.Steps.Count, string.Join(", ", c.Steps));
        // A bit-for-bit replay chains consecutive steps; a cross-class check and a possession proof need every state.
        var (crossClass, chained) = a.CheckOf(Order);
        Worker!.Tell(new OpenSteps(Order.JobId, Order.Round, Order.Shard, a.Epoch, c.Steps, crossClass, chained));
        Timers.StartSingleTimer("challenge", new ChallengeExpired(a.Epoch), ChallengeTimeout);
    }

    protected override void OnChallenging() => Receive<StepsOpened>(opened =>
    {
        if (Attempt?.Challenge is null || !Current(opened.Epoch, opened.WorkerId)
            || !Order.Names(opened.JobId, opened.Round, opened.Shard)) return;
        Opened(opened);
    });

    /// <summary>The worker opened the challenged states: each must be in the store; a verifier replays them.</summary>
    protected virtual void Opened(StepsOpened opened)
    {
        var (a, c) = (Attempt!, Attempt!.Challenge!);
        var missing = opened.Leaves?.FirstOrDefault(l => l?.State is { } state && !Services.Store.Contains(state));
        if (missing is not null)
        {
            Judge(Verdict(VerdictOutcome.Invalid,
                $"its opening of leaf {missing.Leaf} names state {missing.State}, which it never uploaded"));
            return;
        }
        Services.Verifiers.Tell(new VerifyShard(Order.JobId, Order.Spec, Order.BaseDirectory, Order.Round,
            Order.Shard, a.Epoch, a.WorkerId, a.Address, c.Result.MerkleRoot, Order.StartState, c.Result.EndState,
            c.Steps, opened.Leaves ?? [], a.CheckOf(Order).CrossClass, Services.Blobs, c.PossessionOnly,
            Network: Services.Network(), ResumedFrom: a.ResumedFrom,
            EndFromReplay: !Services.Store.Contains(c.Result.EndState)));
    }
}
