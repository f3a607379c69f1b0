using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Gensyn.Actors.Kinds;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Workers;

/// <summary>
/// Runs a worker's shards, one at a time: fetch the start state (and checkpoint) by hash, run the shard as its job's
/// kind does (<see cref="IJobKind.RunShard"/>: train H steps, or predict an inference shard's items), and send the
/// signed result with its Merkle commitment — in replicated mode its seal first — to the shard's actor. What it
/// committed goes to the challenge responder before the result leaves.
/// </summary>
public sealed class ShardRunnerActor : ReceiveActor
{
    private sealed record Finished(ShardAssignment Assignment, string? Failure, CommittedShard? Committed = null)
        : INoSerializationVerificationNeeded;

    private readonly WorkerCompute _compute;
    private readonly IWorkerFaults _faults;
    private readonly IActorRef _responder;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ClaimDomain _network = ClaimDomain.None;
    private ShardAssignment? _current;
    private CancellationTokenSource? _cancel;
    private WorkerShardState _shards = new();

    /// <param name="responder">The challenge responder, told what this worker committed to.</param>
    public static Props Props(WorkerCompute compute, IActorRef responder) =>
        Akka.Actor.Props.Create(() => new ShardRunnerActor(compute, responder));

    public ShardRunnerActor(WorkerCompute compute, IActorRef responder)
    {
        _compute = compute;
        _faults = compute.Options.Faults;
        _responder = responder;

        Receive<WorkerMessages.NetworkKnown>(known => { _network = known.Network; });
        Receive<ShardAssignment>(Assign);
        Receive<AbandonShard>(abandon =>
        {
            if (_current is not { } c || !Same(c, abandon.JobId, abandon.Round, abandon.Shard, abandon.Epoch)) return;
            _log.Info("Abandoning {0} round {1} shard {2} as the coordinator asked", c.JobId, c.Round, c.Shard);
            Drop();
        });
        Receive<CoordinatorLost>(lost =>
        {
            // Whatever the coordinators knew of this session is gone with it: its shard runs elsewhere.
            if (_current is not { } c) return;
            _log.Warning("The session that assigned {0} round {1} shard {2} ended ({3}); abandoning the shard",
                c.JobId, c.Round, c.Shard, lost.Reason);
            Drop();
        });
        Receive<Finished>(OnFinished);
    }

    protected override void PostStop() => _cancel?.Cancel();

    private WorkerId WorkerId => _compute.Options.WorkerId;

    private static bool Same(ShardAssignment a, JobId jobId, int round, int shard, int epoch) =>
        a.JobId == jobId && a.Round == round && a.Shard == shard && a.Epoch == epoch;

    private void Assign(ShardAssignment a)
    {
        if (_current is { } busy)
        {
            if (Same(busy, a.JobId, a.Round, a.Shard, a.Epoch)) return;
            a.ShardActor.Tell(new ShardFailed(a.JobId, a.Round, a.Shard, a.Epoch, WorkerId,
                $"busy with {busy.JobId} round {busy.Round} shard {busy.Shard}"));
            return;
        }
        _log.Info("Assigned {0} round {1} shard {2} (epoch {3}){4}", a.JobId, a.Round, a.Shard, a.Epoch,
            a.ResumeFrom is { } r ? $", resuming from checkpoint {r}" : "");
        _current = a;
        Record(_shards.Running(RunOf(a)));
        _cancel = new CancellationTokenSource();
        var token = _cancel.Token;
        Run(a, token).ContinueWith(t => t.IsCompletedSuccessfully
                ? new Finished(a, null, t.Result)
                : new Finished(a, token.IsCancellationRequested ? null
                    : t.Exception?.GetBaseException().Message ?? "failed"))
            .PipeTo(Self);
    }

    private void OnFinished(Finished finished)
    {
        var a = finished.Assignment;
        // A run that neither failed nor committed ended on its cancellation: it stopped before finishing its work.
        Record(_shards.Ended(RunOf(a), completed: finished.Committed is not null,
            stopped: finished is { Failure: null, Committed: null }));
        if (_compute.Data.Packed?.Cache is { Hits: var hits, Misses: var misses } cache && hits + misses > 0)
            _log.Info("Packed data so far: {0} chunk reads from DATA_DIR/cache, {1} from the network, {2:N0} bytes " +
                      "fetched, {3} replies refused", hits, misses, cache.FetchedBytes, cache.Refused);
        if (finished.Failure is { } failure)
        {
            _log.Warning("{0} round {1} shard {2} failed: {3}", a.JobId, a.Round, a.Shard, failure);
            a.ShardActor.Tell(new ShardFailed(a.JobId, a.Round, a.Shard, a.Epoch, WorkerId,
                failure[..Math.Min(failure.Length, 500)]));
        }
        if (!ReferenceEquals(_current, a)) return;
        if (finished.Committed is { } committed)
        {
            // Held before the result (or its seal) leaves, so the challenge that follows finds it.
            _responder.Tell(new WorkerMessages.HoldShard(committed));
            a.ShardActor.Tell(committed.Seal is { } seal
                ? new ShardSealed(a.JobId, a.Round, a.Shard, a.Epoch, WorkerId, seal)
                : committed.Result);
        }
        _current = null;
        _cancel = null;
    }

    /// <summary>
    /// Stops the current shard and is free at once: a transfer or step still in flight ends on its own and is ignored.
    /// </summary>
    private void Drop()
    {
        _cancel?.Cancel();
        _cancel = null;
        _current = null;
        Record(_shards.Idle());
    }

    private static WorkerShardState.Run RunOf(ShardAssignment a) => new(a.JobId, a.Round, a.Shard, a.Epoch);

    /// <summary>
    /// Keeps <paramref name="next"/> and writes it to DATA_DIR/worker-state.json; a failed write is only logged.
    /// </summary>
    private void Record(WorkerShardState next)
    {
        if (next == _shards) return;
        _shards = next;
        try
        {
            _shards.WriteTo(_compute.Options.DataDirectory, WorkerId);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning("Could not write {0}: {1}", WorkerShardState.FileName, e.Message);
        }
    }

    private async Task<CommittedShard> Run(ShardAssignment a, CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        var link = _compute.Link;
        _compute.Running = token;
        var lastFetch = 0L;
        _compute.DataFetched = () =>
        {
            // At most one report a second: enough for the coordinator's stall deadline.
            if (Environment.TickCount64 - lastFetch < 1000) return;
            lastFetch = Environment.TickCount64;
            a.ShardActor.Tell(new ShardProgress(a.JobId, a.Round, a.Shard, a.Epoch, WorkerId,
                ShardProgress.FetchingData, float.NaN));
        };
        // The spec first: a spec blob that is missing or not the one named fails the shard before anything runs.
        var spec = await _compute.SpecAsync(a.Spec, token);
        var (startBytes, rebuilt) = await StartStates.GetAsync(a, (long)a.Round * (spec.Training?.InnerSteps ?? 0),
            _compute.Store, link.FetchAsync, token);
        if (rebuilt) _log.Info("Rebuilt the start state of {0} round {1} shard {2} from the last round's update", a.JobId,
            a.Round, a.Shard);
        var start = CheckpointFile.Deserialize(startBytes, $"start state {a.StartState}").State;
        ShardCheckpoint? resume = null;
        if (a.ResumeFrom is { } checkpoint)
        {
            var bytes = await link.FetchAsync(checkpoint, token);
            resume = ShardCheckpointFile.Deserialize(bytes, $"checkpoint {checkpoint}");
            if (resume.Round != a.Round || resume.Shard != a.Shard)
                throw new CheckpointException(
                    $"checkpoint {checkpoint} belongs to round {resume.Round} shard {resume.Shard}");
        }
        var fetched = clock.Elapsed;
        a.ShardActor.Tell(
            new ShardProgress(a.JobId, a.Round, a.Shard, a.Epoch, WorkerId, resume?.LocalStep ?? 0, float.NaN));
        var log = _log;
        await _faults.BeforeTrainingAsync(a, line => log.Warning("{0}", line), token);
        var run = new ShardRun(_compute, a, spec, start, resume, clock, fetched, _network, _log);
        return await JobKinds.Of(spec).RunShard(run, token);
    }
}
