using Gensyn.Actors.Jobs;
using Gensyn.Actors.Purge;
using Gensyn.Actors.Shards;
using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Testing.Workers;
using Gensyn.Tests.Verification;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Tests.Security;

/// <summary>
/// No step escapes the draw, rehearsed: a maker checkpoints a forged state at step c = 4 of an 8-step shard, signs it
/// and leaves; another worker resumes from it and runs steps 5..8 honestly. Its own spot-check passes (the forged
/// steps are not its own), so without more the job would accept a result built on the forgery. The verifier replays
/// steps 1..4 from the round's start state: the maker is convicted of fraud with its signature as the evidence, the
/// resumer is not blamed, and the shard runs again from the round's start state.
/// </summary>
public sealed class ResumeChallengeAttackTests : IDisposable
{
    private const int H = 8, C = 4;
    private const int MakerEpoch = 2;
    private readonly JudgedJob _job = new(innerSteps: H);
    private readonly WorkerKey _maker = WorkerKey.Generate();

    public void Dispose() => _job.Dispose();

    private ShardTask Task => _job.Task(0, 1);
    private StateSnapshot Start => _job.Worker.InitialState;

    /// <summary>The honest state after step <paramref name="step"/>.</summary>
    private StateSnapshot HonestState(int step) => _job.Worker.ReplayRange(Task, Start, 0, step);

    /// <summary>A step-c checkpoint carrying <paramref name="state"/> and <paramref name="digests"/> (c: their count
    /// less one), uploaded and signed by its maker (by default "maker" at epoch 2), as ShardAttempt.AdmitCheckpoint
    /// admitted it.</summary>
    private (ShardCheckpoint Checkpoint, ShardCheckpointSaved Saved) Checkpoint(StateSnapshot state,
        IReadOnlyList<Sha256Digest> digests, string maker = "maker", int epoch = MakerEpoch, WorkerKey? key = null)
    {
        key ??= _maker;
        var c = digests.Count - 1;
        var checkpoint = new ShardCheckpoint(0, 1, c, state, digests, new float[c]);
        var blob = _job.Put(ShardCheckpointFile.Serialize(checkpoint));
        var made = new ShardCheckpointed((JobId)JudgedJob.JobId, 0, 1, epoch, (WorkerId)maker, c, blob);
        var signature = ClaimSigner.Sign(key, CheckpointClaim.From(made, ClaimDomain.None));
        return (checkpoint, new ShardCheckpointSaved(0, 1, epoch, (WorkerId)maker, c, blob,
            DateTimeOffset.UnixEpoch, key.Address, signature));
    }

    /// <summary>A worker that resumed from <paramref name="from"/> and ran honestly to step 6, where it checkpoints
    /// (as "middle" at epoch 3): its checkpoint carries the digests it was given for the steps before.</summary>
    private (ShardCheckpoint Checkpoint, ShardCheckpointSaved Saved) Continued(ShardCheckpoint from,
        WorkerKey middle, Func<List<Sha256Digest>, List<Sha256Digest>>? tamper = null)
    {
        var (digests, state) = (from.Digests.ToList(), from.State);
        for (var step = from.LocalStep + 1; step <= 6; step++)
        {
            state = _job.Worker.ReplayStep(Task, state, step);
            digests.Add(state.Digest());
        }
        return Checkpoint(state, tamper?.Invoke(digests) ?? digests, "middle", 3, middle);
    }

    /// <summary>The maker skipped step 4: it checkpoints the state after step 3 as step 4's, under that state's
    /// digest (its digests 0..3 are honest).</summary>
    private (ShardCheckpoint Checkpoint, ShardCheckpointSaved Saved) Forged()
    {
        var forged = HonestState(C - 1).WithStep(Start.Step + C);
        var digests = PrefixReplay.Digests(_job.Worker, Task, Start, C - 1).Append(forged.Digest()).ToList();
        return Checkpoint(forged, digests);
    }

    private (ShardCheckpoint Checkpoint, ShardCheckpointSaved Saved) Honest() =>
        Checkpoint(HonestState(C), PrefixReplay.Digests(_job.Worker, Task, Start, C));

    /// <summary>The resumer's answer to a challenge of its own steps 5..8, from an honest run resumed from
    /// <paramref name="checkpoint"/> (or another behaviour's trajectory).</summary>
    private VerifyShard Resumed(ShardCheckpoint checkpoint, ShardCheckpointSaved saved,
        WorkerBehavior behavior = WorkerBehavior.Honest)
    {
        var trajectory = behavior == WorkerBehavior.Honest
            ? ShardTrajectory.Run(_job.Worker, Task, Start, null, checkpoint, default)
            : _job.Run(0, 1, Start, behavior, fakeFraction: 1.0);
        return _job.Answer(trajectory, Start, [.. Enumerable.Range(checkpoint.LocalStep + 1, H - checkpoint.LocalStep)])
            with { ResumedFrom = [saved] };
    }

    private ShardVerdict Judge(VerifyShard request) =>
        ResumeJudge.Judge(request, _job.Verifier, _job.Data.Train.Count, hash => _job.Blobs[hash], JudgedJob.Tolerance);

    [Fact]
    public void Without_the_replay_of_steps_1_to_c_an_honest_resumer_from_a_forged_checkpoint_passes_its_spot_check()
    {
        var (checkpoint, saved) = Forged();

        // What the verifier judged before: the resumer's own steps only. They replay, so the forgery would stand.
        Assert.Equal(VerdictOutcome.Accepted, _job.Judge(Resumed(checkpoint, saved)).Outcome);
    }

    [Fact]
    public void A_forged_checkpoint_is_its_makers_fraud_with_its_signature_as_evidence_and_the_resumer_is_not_blamed()
    {
        var (checkpoint, saved) = Forged();

        var verdict = Judge(Resumed(checkpoint, saved));

        Assert.Equal(VerdictOutcome.Fraud, verdict.Outcome);
        Assert.Equal(saved, verdict.Checkpoint);                     // the verdict is the checkpoint's ...
        Assert.Equal((WorkerId)"maker", verdict.Checkpoint!.WorkerId);  // ... and blames its maker
        Assert.Equal(C, verdict.Step);
        Assert.Equal(checkpoint.Digests[C], verdict.Claimed);
        Assert.Equal(HonestState(C).Digest(), verdict.Expected);
        Assert.Equal(saved.Signature, verdict.ClaimSignature);
        var claim = new CheckpointClaim(JudgedJob.JobId, 0, 1, MakerEpoch, "maker", C, saved.Checkpoint);
        Assert.True(ClaimSigner.Verify(claim, verdict.ClaimSignature, _maker.Address));
    }

    [Fact]
    public void A_checkpoint_whose_state_is_not_the_one_its_digests_name_is_its_makers_fraud_not_the_resumers()
    {
        // Honest digests 0..4, but the state handed to the resumer is the one after step 3.
        var forged = HonestState(C - 1).WithStep(Start.Step + C);
        var (checkpoint, saved) = Checkpoint(forged, PrefixReplay.Digests(_job.Worker, Task, Start, C));

        var request = Resumed(checkpoint, saved);
        // Judged on its own steps, the resumer's opening of leaf 4 would not match its committed leaf: it would be
        // blamed for the state it was given.
        Assert.NotEqual(VerdictOutcome.Accepted, _job.Judge(request).Outcome);

        var verdict = Judge(request);
        Assert.Equal(VerdictOutcome.Fraud, verdict.Outcome);
        Assert.Equal((WorkerId)"maker", verdict.Checkpoint?.WorkerId);
        Assert.Equal(C, verdict.Step);
    }

    [Fact]
    public void An_honest_checkpoint_stands_and_the_resumer_is_judged_on_its_own_steps()
    {
        var (checkpoint, saved) = Honest();

        var verdict = Judge(Resumed(checkpoint, saved));

        Assert.Equal(VerdictOutcome.Accepted, verdict.Outcome);
        Assert.Null(verdict.Checkpoint);
        Assert.Contains($"steps 1..{C} replay to the checkpoint", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_resumer_that_cheats_after_an_honest_checkpoint_is_convicted_itself_and_the_maker_is_not()
    {
        var (checkpoint, saved) = Honest();

        var verdict = Judge(Resumed(checkpoint, saved, WorkerBehavior.Lazy));

        Assert.Equal(VerdictOutcome.Fraud, verdict.Outcome);
        Assert.Null(verdict.Checkpoint);
        Assert.Equal((WorkerId)JudgedJob.WorkerId, verdict.WorkerId);
        Assert.InRange(verdict.Step!.Value, C + 1, H);
    }

    [Fact]
    public void A_worker_between_a_forged_checkpoint_and_the_resumer_is_not_blamed_for_the_steps_it_was_given()
    {
        var (forged, first) = Forged();
        var (middle, second) = Continued(forged, WorkerKey.Generate());
        var request = Resumed(middle, second) with { ResumedFrom = [first, second] };

        var verdict = Judge(request);

        Assert.Equal(VerdictOutcome.Fraud, verdict.Outcome);
        Assert.Equal(first, verdict.Checkpoint);               // the first maker forged step 4; "middle" continued
        Assert.Equal((WorkerId)"maker", verdict.Checkpoint!.WorkerId);
        Assert.Equal(C, verdict.Step);
    }

    [Fact]
    public void A_worker_that_alters_the_steps_it_was_given_in_its_own_checkpoint_is_blamed_and_not_the_first_maker()
    {
        var (honest, first) = Honest();
        var (tampered, second) = Continued(honest, WorkerKey.Generate(), digests =>
        {
            digests[2] = Sha256Digest.Of([2]);
            return digests;
        });
        var request = Resumed(tampered, second) with { ResumedFrom = [first, second] };

        var verdict = Judge(request);

        Assert.Equal(VerdictOutcome.Fraud, verdict.Outcome);
        Assert.Equal(second, verdict.Checkpoint);
        Assert.Equal((WorkerId)"middle", verdict.Checkpoint!.WorkerId);
        Assert.Equal(2, verdict.Step);
    }

    // ---- the job: the verdict is journalled against the maker, the resumer is released without blame ----

    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private const string ResumerAddress = "0x00000000000000000000000000000000000000b2";

    /// <summary>Round 0 of a job whose shard 1 was checkpointed at step 4 by the maker (epoch 2), which left; the
    /// resumer holds it at epoch 3.</summary>
    private JobState Resuming(ShardCheckpointSaved saved)
    {
        var state = new JobState();
        IJobEvent[] events =
        [
            new JobSubmitted((JobId)JudgedJob.JobId, _job.Yaml, _job.BaseDirectory, T0),
            new RoundStarted(0, Sha256Digest.Of([0]), [Sha256Digest.Of([1]), Sha256Digest.Of([2])], [10, 10], T0),
            new ShardAssigned(0, 1, MakerEpoch, (WorkerId)"maker", T0),
            saved,
            new ShardReleased(0, 1, MakerEpoch, (WorkerId)"maker", "the worker's process is gone", T0),
            new ShardAssigned(0, 1, 3, (WorkerId)"resumer", T0),
        ];
        return events.Aggregate(state, (s, e) => s.Apply(e));
    }

    [Fact]
    public void The_job_journals_the_checkpoint_verdict_against_its_maker_and_releases_the_resumer_without_blame()
    {
        var (checkpoint, saved) = Forged();
        var verdict = Judge(Resumed(checkpoint, saved)) with { Epoch = 3, WorkerId = (WorkerId)"resumer" };
        var state = Resuming(saved);
        Assert.Equal(saved, state.Shards[1].Saved);

        var decision = state.Decide(new ShardActor.CheckpointJudged(1, 3, (WorkerId)"resumer", verdict),
            new JobRules(), T0.AddMinutes(1));

        var verified = Assert.IsType<ShardVerified>(decision.Events[0]);
        Assert.Equal((MakerEpoch, (WorkerId)"maker", _maker.Address, VerdictOutcome.Fraud),
            (verified.Epoch, verified.WorkerId, verified.WorkerAddress, verified.Outcome));
        Assert.Equal(saved.Checkpoint, verified.Checkpoint);
        Assert.Equal(saved.Signature, verified.ClaimSignature);
        var released = Assert.IsType<ShardReleased>(decision.Events[1]);
        Assert.Equal((3, (WorkerId)"resumer", false), (released.Epoch, released.WorkerId, released.CountsAsFailure));
        Assert.Equal(2, decision.Events.Count);

        var after = decision.Events.Aggregate(state, (s, e) => s.Apply(e));
        Assert.True(after.Exclusion.Covers((WorkerId)"maker", _maker.Address));
        Assert.False(after.Exclusion.Covers((WorkerId)"resumer", ResumerAddress));
        Assert.Null(after.Shards[1].Checkpoint);            // the shard restarts from the round's start state
        Assert.Empty(after.Shards[1].Live);
        Assert.IsType<ShardActor.Rejected>(Assert.Single(decision.Replies));

        // The board judges the maker's key by it like any verdict, and a fraud convicts.
        var standing = ConvictionRule.After(new KeyStanding(_maker.Address), JudgedJob.JobId, verified,
            sessionAlive: true, PurgeSettings.Default);
        Assert.True(standing.Convicted);
    }

    [Fact]
    public void A_shards_lineage_keeps_the_last_checkpoint_of_each_worker_that_a_later_one_resumed_from()
    {
        var (_, first) = Forged();
        var earlier = first with { LocalStep = 2, Checkpoint = Sha256Digest.Of([2]) };
        var second = first with
        {
            Epoch = 3, WorkerId = (WorkerId)"resumer", LocalStep = 6, Checkpoint = Sha256Digest.Of([6]),
        };
        // The maker checkpointed at steps 2 and 4 (its step 4 journalled late here), the resumer at step 6.
        var state = new[] { first, second }.Aggregate(Resuming(earlier), (s, e) => s.Apply(e));

        Assert.Equal([first, second], state.Shards[1].Lineage);  // the maker's step-2 checkpoint gave way to its step 4
        var assigned = state.Apply(new ShardReleased(0, 1, 3, (WorkerId)"resumer", "gone", T0)).Decide(
            new ShardActor.AssignRequested(1, (WorkerId)"next", Akka.Actor.ActorRefs.Nobody), new JobRules(), T0);
        var confirmed = Assert.IsType<ShardActor.AssignConfirmed>(Assert.Single(assigned.Replies));
        Assert.Equal(second.Checkpoint, confirmed.Resume);
        Assert.Equal([first, second], confirmed.Lineage);
    }

    [Fact]
    public void A_checkpoint_verdict_from_a_fenced_out_resumer_or_on_an_unsigned_checkpoint_is_not_journalled()
    {
        var (checkpoint, saved) = Forged();
        var verdict = Judge(Resumed(checkpoint, saved));
        var state = Resuming(saved);

        var fenced = state.Decide(new ShardActor.CheckpointJudged(1, 2, (WorkerId)"maker", verdict), new JobRules(),
            T0);
        var unsigned = state.Decide(new ShardActor.CheckpointJudged(1, 3, (WorkerId)"resumer",
            verdict with { Checkpoint = saved with { Maker = null, Signature = null } }), new JobRules(), T0);

        Assert.Empty(fenced.Events);
        Assert.Empty(unsigned.Events);
    }
}
