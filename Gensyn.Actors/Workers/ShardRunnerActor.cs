using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Inference;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Workers;

/// <summary>
/// Runs a worker's shards, one at a time: fetch the start state by hash, train H steps on the training thread (progress
/// every few steps, a checkpoint uploaded every C steps) or predict an inference shard's items, upload the end state
/// (or the predictions), and send the signed result with its Merkle commitment — in replicated mode its seal first — to
/// the shard's actor. What it committed goes to the challenge responder before the result leaves.
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

    private string WorkerId => _compute.Options.WorkerId;

    private static bool Same(ShardAssignment a, string jobId, int round, int shard, int epoch) =>
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
        _responder.Tell(new WorkerMessages.HoldShard(null));
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
    }

    private async Task<CommittedShard> Run(ShardAssignment a, CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        var link = _compute.Link;
        var startBytes = await link.FetchAsync(a.StartState, token);
        _compute.Store.Put(a.StartState, startBytes);
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
        var spec = JobSpecParser.ParseNetwork(a.SpecYaml);
        if (spec.IsInference) return await Infer(a, spec, start, clock, fetched, token);
        var observer = new ShardProgressObserver(_compute, a, spec.Training.InnerSteps);
        var (trajectory, prepared) = await _compute.Thread.Run(() =>
        {
            var (session, trainCount) = _compute.TrainingSession(a, spec);
            var ready = clock.Elapsed;
            var task = ShardTask.For(spec, a.Round, a.Shard, trainCount);
            return (_faults.Train(session, task, start, observer, resume, token), ready);
        });
        var trained = clock.Elapsed;
        token.ThrowIfCancellationRequested();
        var outcome = trajectory.Outcome;
        var endBytes = CheckpointFile.Serialize(outcome.FinalState);
        var endHash = _compute.Store.Put(endBytes);
        await link.UploadAsync(endHash, endBytes, token);
        token.ThrowIfCancellationRequested();
        var root = outcome.MerkleRoot;
        var replicated = spec.Verification.Mode == VerificationMode.Replicated;
        if (replicated) root = await _faults.ReplicaRootAsync(a, root, token);
        var salt = replicated ? ReplicaSeal.NewSalt() : null;
        var result = new ShardResult(a.JobId, a.Round, a.Shard, a.Epoch, WorkerId, endHash, root,
            outcome.Losses.ToList(), "", Math.Round((trained - prepared).TotalSeconds, 3),
            salt is null ? null : Convert.ToHexStringLower(salt));
        result = result with { Signature = ClaimSigner.Sign(_compute.Key, ShardResultClaim.From(result, _network)) };
        _log.Info($"{a.JobId} round {a.Round} shard {a.Shard} done: root {outcome.MerkleRoot} " +
                  $"(fetch {fetched.TotalMilliseconds:F0} ms, " +
                  $"data and model {(prepared - fetched).TotalMilliseconds:F0} ms, " +
                  $"train {(trained - prepared).TotalMilliseconds:F0} ms, " +
                  $"upload {(clock.Elapsed - trained).TotalMilliseconds:F0} ms)");
        return new CommittedShard(a, trajectory, new MerkleTree(outcome.StepDigests), result,
            salt is null ? null : ReplicaSeal.Seal(root, salt, WorkerId));
    }

    /// <summary>
    /// Runs an inference shard: the model's logits for each batch of the shard's items, uploaded whole as the
    /// predictions file, committed to by the Merkle root over the batches and signed.
    /// </summary>
    private async Task<CommittedShard> Infer(ShardAssignment a, JobSpec spec, StateSnapshot weights, Stopwatch clock,
                                             TimeSpan fetched, CancellationToken token)
    {
        var prepared = TimeSpan.Zero;
        var outcome = await _compute.Thread.Run(() =>
        {
            var session = _compute.InferenceSession(a, spec);
            prepared = clock.Elapsed;
            var observer = new ShardProgressObserver(_compute, a, session.Shard(a.Shard).Batches);
            return session.RunShard(weights, a.Shard, observer.OnStep, token, _faults.SkippedBatches);
        });
        var inferred = clock.Elapsed;
        token.ThrowIfCancellationRequested();
        var bytes = PredictionsFile.Serialize(outcome.Predictions);
        var hash = _compute.Store.Put(bytes);
        await _compute.Link.UploadAsync(hash, bytes, token);
        token.ThrowIfCancellationRequested();
        var result = new ShardResult(a.JobId, a.Round, a.Shard, a.Epoch, WorkerId, hash, outcome.Root,
            outcome.Losses.ToList(), "", Math.Round((inferred - prepared).TotalSeconds, 3));
        result = result with { Signature = ClaimSigner.Sign(_compute.Key, ShardResultClaim.From(result, _network)) };
        _log.Info($"{a.JobId} shard {a.Shard} predicted: {outcome.Predictions.Count} items " +
                  $"in {outcome.Losses.Count} batches, " +
                  $"root {outcome.Root} (fetch {fetched.TotalMilliseconds:F0} ms, " +
                  $"data and model {(prepared - fetched).TotalMilliseconds:F0} ms, " +
                  $"infer {(inferred - prepared).TotalMilliseconds:F0} ms, " +
                  $"upload {(clock.Elapsed - inferred).TotalMilliseconds:F0} ms)");
        return new CommittedShard(a, null, null, result);
    }
}
