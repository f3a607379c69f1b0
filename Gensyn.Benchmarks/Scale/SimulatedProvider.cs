using Akka.Actor;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Edge.Client;

namespace Gensyn.Benchmarks.Scale;

/// <summary>
/// One simulated provider: its own key and <see cref="WorkerLink"/> (a real session through one edge: challenge,
/// signed hello, registration), and a fake trainer in place of the worker's shard runner. It answers each assignment
/// after a constant <c>shardTime</c> with a well-formed signed result whose end state is the shard's start state
/// (already in the coordinator's store, so nothing is uploaded), and each challenge with an empty opening: the
/// benchmark's <see cref="AcceptingVerifier"/> accepts it without a replay. Benchmark-only: no product code runs it.
/// </summary>
public sealed class SimulatedProvider : ReceiveActor, IWithTimers
{
    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record Trained(ShardAssignment Assignment) : INoSerializationVerificationNeeded;

    private readonly int _door;
    private readonly WorkerLink _link;
    private readonly TimeSpan _shardTime;
    private readonly ScaleCounters _counters;
    private readonly WorkerId _id;
    private readonly WorkerKey _key = WorkerKey.Generate();
    private ShardAssignment? _current;

    /// <summary>When this provider last became free (<see cref="ScaleCounters.Now"/>); null before its first
    /// result.</summary>
    private long? _freeSince;

    public static Props Props(int index, int door, WorkerLink link, TimeSpan shardTime, ScaleCounters counters) =>
        Akka.Actor.Props.Create(() => new SimulatedProvider(index, door, link, shardTime, counters));

    public SimulatedProvider(int index, int door, WorkerLink link, TimeSpan shardTime, ScaleCounters counters)
    {
        _door = door;
        _link = link;
        _shardTime = shardTime;
        _counters = counters;
        _id = (WorkerId)$"sim-{index:D5}";

        Receive<WorkerRegistered>(_ => _counters.Registered());
        Receive<WorkerRefused>(refused => _counters.Refused(refused.Reason));
        Receive<CoordinatorLost>(lost => _counters.Lost(lost.Reason));
        Receive<ShardAssignment>(Assigned);
        Receive<Trained>(trained =>
        {
            var a = trained.Assignment;
            if (!ReferenceEquals(_current, a)) return;
            _current = null;
            a.ShardActor.Tell(Result(a));
            _freeSince = ScaleCounters.Now;
            _counters.Finished();
        });
        Receive<OpenSteps>(open =>
            Sender.Tell(new StepsOpened(open.JobId, open.Round, open.Shard, open.Epoch, _id, [])));
        Receive<AbandonShard>(abandon =>
        {
            if (_current is not { } c || c.JobId != abandon.JobId || c.Round != abandon.Round
                || c.Shard != abandon.Shard || c.Epoch != abandon.Epoch) return;
            _current = null;
            _freeSince = ScaleCounters.Now;
            _counters.Abandoned();
        });
    }

    protected override void PreStart()
    {
        var session = Context.ActorOf(_link.SessionProps(Self, _key), "session");
        var profile = new RegisterWorker(_id, Self, "cpu", 16, 1, "cpu-x64-simulated-t1", 0.1, _key.Address,
            Throughput: 1000, BandwidthMbps: 1000, IssuedAtUnixMs: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var signature = ClaimSigner.Sign(_key, CapabilityClaim.From(profile, ClaimDomain.None));
        session.Tell(profile with { Signature = signature });
    }

    private void Assigned(ShardAssignment a)
    {
        if (_current is { } busy)
        {
            if (busy.JobId == a.JobId && busy.Round == a.Round && busy.Shard == a.Shard && busy.Epoch == a.Epoch)
                return;
            a.ShardActor.Tell(new ShardFailed(a.JobId, a.Round, a.Shard, a.Epoch, _id,
                $"busy with {busy.JobId} round {busy.Round} shard {busy.Shard}"));
            return;
        }
        _current = a;
        _counters.Assigned(_door, a.JobId.ToString(), _freeSince is { } free ? ScaleCounters.Now - free : null);
        Timers.StartSingleTimer("train", new Trained(a), _shardTime);
    }

    /// <summary>What an honest trainer would send, shaped right and signed: H losses, a root, the end state.</summary>
    private ShardResult Result(ShardAssignment a)
    {
        var root = Sha256Digest.Of(
            System.Text.Encoding.UTF8.GetBytes($"{a.JobId}/{a.Round}/{a.Shard}/{a.Epoch}/{_id}"));
        var losses = Enumerable.Range(0, _counters.InnerSteps).Select(i => 1f / (i + 1)).ToArray();
        var result = new ShardResult(a.JobId, a.Round, a.Shard, a.Epoch, _id, a.StartState, root, losses, "",
            TrainSeconds: _shardTime.TotalSeconds);
        return result with { Signature = ClaimSigner.Sign(_key, ShardResultClaim.From(result, ClaimDomain.None)) };
    }
}
