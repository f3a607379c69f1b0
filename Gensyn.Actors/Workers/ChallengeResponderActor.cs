using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Workers;

/// <summary>
/// Answers for the shards a worker committed to and that are not judged yet (<see cref="WorkerMessages.HoldShard"/>,
/// kept in <see cref="CommittedShards"/> until the coordinator abandons them): reveals a result once both replicas
/// sealed, opens challenged steps (recomputing the states from its checkpoints, uploading them and sending them back
/// with signed proofs), and answers bisection questions about a Merkle tree. Openings run on the worker's opening
/// thread with a session of their own (<see cref="WorkerCompute.OpeningSession"/>), beside the next shard's training.
/// </summary>
public sealed class ChallengeResponderActor : ReceiveActor
{
    private sealed record Answered(OpenSteps Request, string? Failure, TimeSpan Took)
        : INoSerializationVerificationNeeded;

    private readonly WorkerCompute _compute;
    private readonly IWorkerFaults _faults;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ClaimDomain _network = ClaimDomain.None;
    private CommittedShards _held;

    public static Props Props(WorkerCompute compute) =>
        Akka.Actor.Props.Create(() => new ChallengeResponderActor(compute));

    public ChallengeResponderActor(WorkerCompute compute)
    {
        _compute = compute;
        _faults = compute.Options.Faults;
        _held = new CommittedShards(compute.Options.HeldCommitments);

        Receive<WorkerMessages.NetworkKnown>(known => { _network = known.Network; });
        Receive<WorkerMessages.HoldShard>(hold =>
        {
            _held = _held.Hold(hold.Shard, out var dropped);
            if (dropped?.Assignment is { } old)
                _log.Warning("Forgot {0} round {1} shard {2} (epoch {3}) to keep at most {4} unjudged shards; a " +
                             "challenge of it goes unanswered", old.JobId, old.Round, old.Shard, old.Epoch,
                    _held.Capacity);
        });
        Receive<RevealShard>(reveal =>
        {
            if (Holds(reveal.JobId, reveal.Round, reveal.Shard, reveal.Epoch) is { } c)
                c.Assignment.ShardActor.Tell(c.Result);
        });
        Receive<OpenSteps>(Open);
        Receive<BisectQuery>(query =>
        {
            if (!_faults.AnswersChallenges) return;
            if (Holds(query.JobId, query.Round, query.Shard, query.Epoch) is not { Tree: not null } c) return;
            Sender.Tell(Bisect(c, query));
        });
        Receive<Answered>(answered =>
        {
            var r = answered.Request;
            if (answered.Failure is { } failure)
                _log.Warning("Could not open {0} round {1} shard {2}'s challenged steps: {3}", r.JobId, r.Round,
                    r.Shard, failure);
            else
                _log.Info("Opened {0} round {1} shard {2}'s challenged steps {3} in {4:F0} ms", r.JobId, r.Round,
                    r.Shard, string.Join(", ", r.Steps), answered.Took.TotalMilliseconds);
        });
        Receive<AbandonShard>(abandon =>
        {
            _held = _held.Forget(abandon.JobId, abandon.Round, abandon.Shard, abandon.Epoch);
        });
        // The results of a lost session are never judged.
        Receive<CoordinatorLost>(_ => { _held = _held.Clear(); });
    }

    private CommittedShard? Holds(JobId jobId, int round, int shard, int epoch) =>
        _held.Find(jobId, round, shard, epoch);

    /// <summary>
    /// Answers a challenge of the committed shard: for every challenged step i, the state after step i − 1 in full
    /// (uploaded as a blob; for a chained challenge only before the first step of each run of consecutive ones) and
    /// leaf i (in full too when asked WithAfter), plus leaves 0 and H, each with its Merkle
    /// proof and signed.
    /// </summary>
    private void Open(OpenSteps request)
    {
        if (Holds(request.JobId, request.Round, request.Shard, request.Epoch) is not { Trajectory: not null } c)
        {
            _log.Warning("Asked to open {0} round {1} shard {2} (epoch {3}), which this worker does not hold",
                request.JobId, request.Round, request.Shard, request.Epoch);
            return;
        }
        if (!_faults.AnswersChallenges)
        {
            _log.Warning("Not answering the challenge of {0} round {1} shard {2}: this worker rehearses a refusal",
                request.JobId, request.Round, request.Shard);
            return;
        }
        var clock = Stopwatch.StartNew();
        Answer(c, request).ContinueWith(t =>
                new Answered(request,
                    t.IsCompletedSuccessfully ? null : t.Exception?.Flatten().InnerException?.Message ?? "failed",
                    clock.Elapsed))
            .PipeTo(Self);
    }

    private async Task Answer(CommittedShard c, OpenSteps request)
    {
        var a = c.Assignment;
        var trajectory = c.Trajectory!;
        var digests = trajectory.Outcome.StepDigests;
        var plan = ChallengeAnswer.For(request.Steps, digests.Count - 1, request.WithAfter, request.Chained);
        var spec = await _compute.SpecAsync(a.Spec, CancellationToken.None);
        // Each rebuilt state starts uploading at once, while the next one is rebuilt.
        var uploads = new List<Task>();
        var opened = await _compute.OpeningThread.Run(() =>
        {
            var session = _compute.OpeningSession(a, spec);
            return plan.Leaves.Select(i => (Leaf: i, Blob: plan.StateOf(i, a.StartState, leaf =>
            {
                var bytes = CheckpointFile.Serialize(OpenLeaf(trajectory, session, leaf));
                var blob = _compute.Store.Put(bytes);
                uploads.Add(_compute.Link.UploadAsync(blob, bytes, CancellationToken.None));
                return blob;
            }))).ToList();
        });
        await Task.WhenAll(uploads);
        var leaves = opened
            .Select(o => ChallengeAnswer.Leaf(plan, o.Leaf, digests, c.Tree!, c.Result, o.Blob, _compute.Key, _network))
            .ToList();
        a.ShardActor.Tell(new StepsOpened(a.JobId, a.Round, a.Shard, a.Epoch, _compute.Options.WorkerId, leaves));
    }

    /// <summary>Rebuilds committed leaf <paramref name="leaf"/>; a failure names the leaf (libtorch's own message does not).</summary>
    private static StateSnapshot OpenLeaf(ShardTrajectory trajectory, TrainingSession session, int leaf)
    {
        try
        {
            return trajectory.OpenLeaf(session, leaf);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var reason = e.Message.Split('\n', 2)[0].Trim();
            throw new InvalidOperationException(
                $"rebuilding leaf {leaf} (the state after step {trajectory.Task.LeafStep(leaf)} of {trajectory.Task.InnerSteps}) failed: {reason}", e);
        }
    }

    /// <summary>Answers one bisection question about the committed tree (hashes only, no training).</summary>
    private BisectReply Bisect(CommittedShard c, BisectQuery query)
    {
        BisectionQuery question = query.Step switch
        {
            BisectStep.Top => new TopQuery(),
            BisectStep.Children => new ChildrenQuery(query.Level, query.Index),
            _ => new LeafQuery(query.Index),
        };
        BisectReply Reply(Sha256Digest? first, Sha256Digest? second = null, Sha256Digest? before = null,
                          LeafProof? proof = null) =>
            new(query.JobId, query.Round, query.Shard, query.Epoch, _compute.Options.WorkerId, query.Step, first,
                second, before, proof);
        try
        {
            return Bisection.Answer(c.Tree!, c.Trajectory!.Outcome.StepDigests, question) switch
            {
                TopAnswer top => Reply(top.Top),
                ChildrenAnswer children => Reply(children.Left, children.Right),
                LeafAnswer leaf => Reply(leaf.Claim, null, leaf.Before,
                    leaf.BeforeProof is { } p ? new LeafProof(p.Index, p.LeafCount, p.Siblings) : null),
                _ => Reply(null),
            };
        }
        catch (ArgumentException)
        {
            return Reply(null);   // a question about a node this tree does not have
        }
    }
}
