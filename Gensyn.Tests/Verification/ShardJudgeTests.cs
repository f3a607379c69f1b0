using Akka.Actor;
using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Gensyn.Testing.Workers;
using Gensyn.Training.Verification;

namespace Gensyn.Tests.Verification;

/// <summary>
/// One job's worker and verifier, in process: the worker runs shards (<see cref="ShardTrajectory"/>) and answers
/// challenges as ChallengeResponderActor.Answer does; its blobs go to an in-memory store that the judge reads.
/// </summary>
internal sealed class JudgedJob : IDisposable
{
    public const string JobId = "job-judge0001";
    public const string WorkerId = "worker-1";
    public const int Epoch = 3;
    public const double Tolerance = 1e-5;

    public JudgedJob(int innerSteps = 8, long seed = 7, int rounds = 3, int shards = 4)
    {
        H = innerSteps;
        Yaml = TestSpecs.SyntheticYaml(rounds: rounds, shards: shards, innerSteps: innerSteps, seed: seed);
        BaseDirectory = Directory.GetCurrentDirectory();
        Spec = JobSpecParser.Parse(Yaml, BaseDirectory);
        Data = DatasetLoader.Load(Spec, Path.GetTempPath());
        Worker = new TrainingSession(Spec, Data);
        Verifier = new TrainingSession(Spec, Data);
    }

    public int H { get; }
    public string Yaml { get; }
    public string BaseDirectory { get; }
    public JobSpec Spec { get; }
    public DatasetSplits Data { get; }
    public TrainingSession Worker { get; }
    public TrainingSession Verifier { get; }
    public WorkerKey Key { get; } = WorkerKey.Generate();
    public Dictionary<Sha256Digest, byte[]> Blobs { get; } = [];

    public ShardTask Task(int round, int shard) => ShardTask.For(Spec, round, shard, Data.Train.Count);

    public ShardTrajectory Run(int round, int shard, StateSnapshot? start = null, WorkerBehavior behavior = WorkerBehavior.Honest, double fakeFraction = 0.5) =>
        WorkerBehaviors.Run(Worker, Task(round, shard), start ?? Worker.InitialState, behavior, fakeFraction, null, null, default);

    public Sha256Digest Put(byte[] bytes)
    {
        var hash = Sha256Digest.Of(bytes);
        Blobs[hash] = bytes;
        return hash;
    }

    public Sha256Digest Put(StateSnapshot state) => Put(CheckpointFile.Serialize(state));

    public OpenedLeaf Leaf(ShardTrajectory trajectory, int leaf, bool full, bool signed, WorkerKey? key = null)
    {
        var tree = new MerkleTree(trajectory.Outcome.StepDigests);
        var digest = trajectory.Outcome.StepDigests[leaf];
        var proof = tree.Prove(leaf);
        Sha256Digest? state = full ? Put(trajectory.OpenState(Worker, leaf)) : null;
        var signature = signed ? Sign(key ?? Key, trajectory, leaf, digest) : null;
        return new OpenedLeaf(leaf, digest, new LeafProof(proof.Index, proof.LeafCount, proof.Siblings), state, signature);
    }

    public string Sign(WorkerKey key, ShardTrajectory trajectory, int step, Sha256Digest digest) =>
        ClaimSigner.Sign(key, Claim(trajectory, step, digest));

    public OpeningClaim Claim(ShardTrajectory trajectory, int step, Sha256Digest digest) =>
        new(JobId, trajectory.Task.Round, trajectory.Task.Shard, Epoch, WorkerId, step, digest, trajectory.Outcome.MerkleRoot);

    /// <summary>
    /// The honest answer to a challenge of <paramref name="steps"/>, built as ChallengeResponderActor.Answer builds it: leaves i − 1 in
    /// full, leaf i signed (and in full too for a cross-class check), leaves 0 and H with their proofs; a chained answer
    /// opens in full only the leaf before each run of consecutive steps (<see cref="ChallengeAnswer.For"/>).
    /// </summary>
    public VerifyShard Answer(ShardTrajectory trajectory, StateSnapshot start, IReadOnlyList<int> steps, bool crossClass = false,
                              bool chained = false)
    {
        var plan = ChallengeAnswer.For(steps, H, crossClass, chained);
        var leaves = plan.Leaves.Select(i => Leaf(trajectory, i, plan.Full.Contains(i), steps.Contains(i))).ToList();
        var spec = Put(System.Text.Encoding.UTF8.GetBytes(Yaml));
        return new VerifyShard((JobId)JobId, new SpecRef(spec), BaseDirectory, trajectory.Task.Round, trajectory.Task.Shard, Epoch, (WorkerId)WorkerId, Key.Address,
            trajectory.Outcome.MerkleRoot, Put(start), Put(trajectory.Outcome.FinalState), steps, leaves, crossClass, ActorRefs.Nobody);
    }

    public ShardVerdict Judge(VerifyShard request, Func<byte[], Sha256Digest>? keep = null) =>
        ShardJudge.Judge(request, Verifier, Data.Train.Count, hash => Blobs[hash], Tolerance, keep: keep);

    /// <summary>The request as a worker that kept its end state sends it: the end state is in no store, the
    /// verifier rebuilds it.</summary>
    public VerifyShard WithoutEndState(VerifyShard request)
    {
        Blobs.Remove(request.EndState);
        return request with { EndFromReplay = true };
    }

    public void Dispose()
    {
        Worker.Dispose();
        Verifier.Dispose();
        Data.Dispose();
    }
}

/// <summary>The shard judge: honest answers pass, adversarial trajectories are fraud, and malformed answers are invalid without throwing.</summary>
public sealed class ShardJudgeTests : IDisposable
{
    private const int H = 8;
    private readonly JudgedJob _job = new(innerSteps: H);

    public void Dispose() => _job.Dispose();

    /// <summary>An honest shard of round 0 shard 1 challenged on steps 3 and 5 (leaves 0, 2, 3, 4, 5, 8 opened).</summary>
    private (ShardTrajectory Trajectory, VerifyShard Request) Honest(bool crossClass = false)
    {
        var trajectory = _job.Run(0, 1);
        return (trajectory, _job.Answer(trajectory, _job.Worker.InitialState, [3, 5], crossClass));
    }

    private static VerifyShard Replace(VerifyShard request, int leaf, Func<OpenedLeaf, OpenedLeaf> change) =>
        request with { Leaves = request.Leaves.Select(l => l.Leaf == leaf ? change(l) : l).ToList() };

    private static VerifyShard Without(VerifyShard request, int leaf) =>
        request with { Leaves = request.Leaves.Where(l => l.Leaf != leaf).ToList() };

    private ShardVerdict AssertInvalid(VerifyShard request, string reasonPart)
    {
        var verdict = _job.Judge(request);
        Assert.Equal(VerdictOutcome.Invalid, verdict.Outcome);
        Assert.False(verdict.IsAccepted);
        Assert.Contains(reasonPart, verdict.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', verdict.Reason);
        Assert.Null(verdict.ClaimSignature);
        return verdict;
    }

    // ---- the verifier's own failures ----

    [Fact]
    public void A_failure_of_the_verifiers_own_session_is_inconclusive_and_never_blamed_on_the_worker()
    {
        var (_, request) = Honest();
        var broken = new TrainingSession(_job.Spec, _job.Data);
        broken.Dispose();

        var verdict = ShardJudge.Judge(request, broken, _job.Data.Train.Count, h => _job.Blobs[h], JudgedJob.Tolerance);

        Assert.Equal(VerdictOutcome.Inconclusive, verdict.Outcome);
        Assert.Contains("failed on the verifier", verdict.Reason);
    }

    [Fact]
    public void A_start_state_the_coordinator_cannot_load_is_inconclusive_not_the_workers_fault()
    {
        var (_, request) = Honest();
        _job.Blobs[request.StartState] = [1, 2, 3];

        var verdict = _job.Judge(request);

        Assert.Equal(VerdictOutcome.Inconclusive, verdict.Outcome);
        Assert.Contains("its own start state", verdict.Reason);
    }

    // ---- honest answers ----

    [Fact]
    public void An_honest_answer_is_accepted_and_the_verdict_names_the_judged_assignment()
    {
        var (_, request) = Honest();

        var verdict = _job.Judge(request);

        Assert.Equal(VerdictOutcome.Accepted, verdict.Outcome);
        Assert.True(verdict.IsAccepted, verdict.Reason);
        Assert.Equal((JudgedJob.JobId, 0, 1, JudgedJob.Epoch, JudgedJob.WorkerId), (verdict.JobId, verdict.Round, verdict.Shard, verdict.Epoch, verdict.WorkerId));
        Assert.Null(verdict.Step);
        Assert.Null(verdict.Expected);
        Assert.Null(verdict.Claimed);
        Assert.Null(verdict.ClaimSignature);
        Assert.Contains("2 challenged steps", verdict.Reason);
        Assert.True(verdict.VerifySeconds > 0);
    }

    [Fact]
    public void An_honest_answer_checked_across_numeric_classes_is_accepted_with_no_error()
    {
        var (_, request) = Honest(crossClass: true);

        var verdict = _job.Judge(request);

        Assert.Equal(VerdictOutcome.Accepted, verdict.Outcome);
        Assert.Equal(0, verdict.RelativeError);
    }

    [Fact]
    public void A_chained_answer_opens_only_the_state_before_each_run_of_consecutive_steps_and_is_accepted()
    {
        var trajectory = _job.Run(0, 1);
        var request = _job.Answer(trajectory, _job.Worker.InitialState, [2, 3, 4, 7], chained: true);

        Assert.Equal([1, 6, H], request.Leaves.Where(l => l.State is not null).Select(l => l.Leaf).ToArray());
        var verdict = _job.Judge(request);

        Assert.Equal(VerdictOutcome.Accepted, verdict.Outcome);
        Assert.Contains("4 challenged steps", verdict.Reason);
    }

    [Fact]
    public void An_end_state_the_worker_did_not_upload_is_rebuilt_by_the_chained_replay_and_stored()
    {
        var trajectory = _job.Run(0, 1);
        var request = _job.WithoutEndState(_job.Answer(trajectory, _job.Worker.InitialState, [2, 5, 6, 7, 8], chained: true));
        Assert.DoesNotContain(request.Leaves, l => l.Leaf == H && l.State is not null);
        var kept = new List<byte[]>();

        var verdict = _job.Judge(request, bytes => { kept.Add(bytes); return Sha256Digest.Of(bytes); });

        Assert.Equal(VerdictOutcome.Accepted, verdict.Outcome);
        var stored = Assert.Single(kept);
        Assert.Equal(request.EndState, Sha256Digest.Of(stored));
        Assert.Equal(trajectory.Outcome.FinalState.Digest(), CheckpointFile.Deserialize(stored, "end").State.Digest());
    }

    [Fact]
    public void An_extra_opened_leaf_for_a_step_that_was_not_challenged_is_ignored()
    {
        var (trajectory, request) = Honest();
        var extra = _job.Leaf(trajectory, 7, full: true, signed: false);

        var verdict = _job.Judge(request with { Leaves = [.. request.Leaves, extra] });

        Assert.Equal(VerdictOutcome.Accepted, verdict.Outcome);
    }

    [Fact]
    public void Honest_answers_over_many_seeds_rounds_shards_and_challenges_are_never_rejected()
    {
        var judged = 0;
        var rejections = new List<string>();
        foreach (var seed in new long[] { 7, 1234 })
        {
            using var job = new JudgedJob(innerSteps: H, seed: seed);
            var secret = ChallengeSampler.NewSecret();
            var start = job.Worker.InitialState;
            for (var round = 0; round < 3; round++)
            {
                StateSnapshot? next = null;
                for (var shard = 0; shard < 3; shard++)
                {
                    // Rounds after the first start from a state that carries optimizer steps (as a round's start does).
                    var trajectory = job.Run(round, shard, start);
                    next ??= trajectory.Outcome.FinalState;
                    foreach (var k in new[] { 1, 3, H })
                    {
                        var steps = ChallengeSampler.Draw(secret, JudgedJob.JobId, round, shard, trajectory.Outcome.MerkleRoot, H, k);
                        foreach (var crossClass in new[] { false, true })
                        {
                            var verdict = job.Judge(job.Answer(trajectory, start, steps, crossClass));
                            judged++;
                            if (!verdict.IsAccepted)
                                rejections.Add($"seed {seed} round {round} shard {shard} steps [{string.Join(",", steps)}] cross-class {crossClass}: {verdict.Outcome} {verdict.Reason}");
                        }
                    }
                }
                start = next!;
            }
        }

        Assert.Empty(rejections);
        Assert.Equal(2 * 3 * 3 * 3 * 2, judged);
        Assert.True(judged >= 100, $"only {judged} honest results were judged");
    }

    // ---- adversarial trajectories ----

    [Theory]
    [InlineData(WorkerBehavior.Lazy, false)]
    [InlineData(WorkerBehavior.Noisy, false)]
    [InlineData(WorkerBehavior.Stale, false)]
    [InlineData(WorkerBehavior.WrongData, false)]
    [InlineData(WorkerBehavior.Lazy, true)]
    [InlineData(WorkerBehavior.Noisy, true)]
    [InlineData(WorkerBehavior.Stale, true)]
    [InlineData(WorkerBehavior.WrongData, true)]
    public void An_adversarial_trajectory_challenged_on_every_step_is_fraud_with_signed_evidence(WorkerBehavior behavior,
                                                                                                 bool chained)
    {
        var start = _job.Worker.InitialState;
        var trajectory = _job.Run(0, 2, start, behavior, fakeFraction: 0.5);
        Assert.NotEmpty(trajectory.FakedSteps);
        var request = _job.Answer(trajectory, start, Enumerable.Range(1, H).ToArray(), chained: chained);
        // A chained answer to every step opens only the start state in full: the verifier replays the whole shard (and
        // rebuilds the end state); a plain one opens every state.
        Assert.Equal(chained ? [0] : Enumerable.Range(0, H + 1).ToArray(),
            request.Leaves.Where(l => l.State is not null).Select(l => l.Leaf).ToArray());

        var verdict = _job.Judge(request);

        Assert.Equal(VerdictOutcome.Fraud, verdict.Outcome);
        // Steps are replayed in order and the honest ones (from the committed state before) replay exactly: the first faked one is caught.
        var step = trajectory.FakedSteps.Min();
        Assert.Equal(step, verdict.Step);
        Assert.Equal(trajectory.Outcome.StepDigests[step], verdict.Claimed);
        var replayed = _job.Worker.ReplayStep(trajectory.Task, trajectory.OpenState(_job.Worker, step - 1), step).Digest();
        Assert.Equal(replayed, verdict.Expected);
        Assert.NotEqual(verdict.Claimed, verdict.Expected);
        Assert.Equal(request.Leaves.Single(l => l.Leaf == step).Signature, verdict.ClaimSignature);
        // The evidence stands on its own: the worker's key signed the false claim.
        Assert.True(ClaimSigner.Verify(_job.Claim(trajectory, step, verdict.Claimed!.Value), verdict.ClaimSignature, _job.Key.Address));
    }

    [Theory]
    [InlineData(WorkerBehavior.Lazy)]
    [InlineData(WorkerBehavior.Noisy)]
    [InlineData(WorkerBehavior.Stale)]
    [InlineData(WorkerBehavior.WrongData)]
    [InlineData(WorkerBehavior.Copycat)]
    public void An_adversarial_trajectory_checked_across_numeric_classes_is_fraud_beyond_the_tolerance(WorkerBehavior behavior)
    {
        var start = _job.Worker.InitialState;
        var trajectory = _job.Run(1, 0, start, behavior, fakeFraction: 0.5);
        var request = _job.Answer(trajectory, start, Enumerable.Range(1, H).ToArray(), crossClass: true);

        var verdict = _job.Judge(request);

        Assert.Equal(VerdictOutcome.Fraud, verdict.Outcome);
        var step = trajectory.FakedSteps.Min();
        Assert.Equal(step, verdict.Step);
        Assert.Equal(trajectory.Outcome.StepDigests[step], verdict.Claimed);
        Assert.Equal(_job.Worker.ReplayStep(trajectory.Task, trajectory.OpenState(_job.Worker, step - 1), step).Digest(), verdict.Expected);
        Assert.True(verdict.RelativeError > JudgedJob.Tolerance, $"relative error {verdict.RelativeError}");
        Assert.Equal(request.Leaves.Single(l => l.Leaf == step).Signature, verdict.ClaimSignature);
        Assert.True(ClaimSigner.Verify(_job.Claim(trajectory, step, verdict.Claimed!.Value), verdict.ClaimSignature, _job.Key.Address));
    }

    [Fact]
    public void An_adversarial_trajectory_passes_a_possession_check_which_replays_nothing()
    {
        // Possession-only is for replicas whose roots already agree: it proves the worker holds its committed states, not that they are right.
        var start = _job.Worker.InitialState;
        var trajectory = _job.Run(0, 0, start, WorkerBehavior.Stale);

        var verdict = _job.Judge(_job.Answer(trajectory, start, [2, 6]) with { PossessionOnly = true });

        Assert.Equal(VerdictOutcome.Accepted, verdict.Outcome);
        Assert.Contains("holds the committed states before step 2, 6", verdict.Reason);
    }

    [Fact]
    public void A_possession_check_with_a_before_state_that_is_not_the_committed_one_is_invalid()
    {
        var (trajectory, request) = Honest();
        var possession = request with { PossessionOnly = true };
        Assert.Equal(VerdictOutcome.Accepted, _job.Judge(possession).Outcome);

        var swapped = Replace(possession, 4, l => l with { State = _job.Put(trajectory.OpenState(_job.Worker, 2)) });

        AssertInvalid(swapped, "step 5: the opened state hashes to");
        AssertInvalid(Without(possession, 5), "step 5 was not opened");
    }

    // ---- malformed and forged answers ----

    [Fact]
    public void A_proof_with_a_changed_sibling_hash_is_invalid()
    {
        var (_, request) = Honest();
        var forged = Replace(request, 5, l => l with { Proof = l.Proof with { Siblings = [Sha256Digest.Of("forged"u8), .. l.Proof.Siblings.Skip(1)] } });

        AssertInvalid(forged, "the proof for the state after (leaf 5");
    }

    [Fact]
    public void A_forged_proof_of_the_start_leaf_is_invalid()
    {
        var (_, request) = Honest();
        var forged = Replace(request, 0, l => l with { Proof = l.Proof with { Siblings = [.. l.Proof.Siblings.SkipLast(1), Sha256Digest.Of("forged"u8)] } });

        AssertInvalid(forged, "does not hold the assigned start state");
    }

    [Fact]
    public void A_proof_for_another_leaf_index_is_invalid()
    {
        var (trajectory, request) = Honest();
        var other = new MerkleTree(trajectory.Outcome.StepDigests).Prove(6);

        var moved = Replace(request, 5, l => l with { Proof = new LeafProof(other.Index, other.LeafCount, other.Siblings) });

        AssertInvalid(moved, "is for leaf 6, expected leaf 5");
    }

    [Fact]
    public void A_before_state_blob_holding_another_state_is_invalid()
    {
        var (trajectory, request) = Honest();
        var otherState = _job.Put(trajectory.OpenState(_job.Worker, 6));

        var swapped = Replace(request, 4, l => l with { State = otherState });

        AssertInvalid(swapped, "not to the proven leaf 4");
    }

    [Fact]
    public void A_before_state_that_was_not_opened_in_full_is_invalid()
    {
        var (_, request) = Honest();

        AssertInvalid(Replace(request, 4, l => l with { State = null }), "the state before it (leaf 4) was not opened in full");
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void A_missing_leaf_of_a_challenged_step_is_invalid(int leaf)
    {
        var (_, request) = Honest();

        AssertInvalid(Without(request, leaf), "step 5 was not opened");
    }

    [Fact]
    public void A_challenged_step_whose_leaves_were_not_opened_is_invalid()
    {
        var (_, request) = Honest();

        AssertInvalid(request with { Steps = [3, 5, 7] }, "step 7 was not opened");
    }

    [Fact]
    public void A_leaf_opened_twice_is_invalid()
    {
        var (_, request) = Honest();
        var twice = request.Leaves.Single(l => l.Leaf == 5);

        AssertInvalid(request with { Leaves = [.. request.Leaves, twice] }, "leaf 5 was opened twice");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(H + 1)]
    public void A_leaf_outside_the_shard_is_invalid(int index)
    {
        var (_, request) = Honest();
        var outside = request.Leaves[0] with { Leaf = index };

        AssertInvalid(request with { Leaves = [.. request.Leaves, outside] }, $"leaf {index} is outside the shard's leaves 0..{H}");
    }

    [Fact]
    public void An_opening_signed_by_another_key_is_invalid()
    {
        var (trajectory, request) = Honest();
        var other = WorkerKey.Generate();

        var resigned = Replace(request, 5, l => l with { Signature = _job.Sign(other, trajectory, 5, l.Digest) });

        var verdict = AssertInvalid(resigned, "step 5: the opening is not signed by the worker's key");
        Assert.Contains(other.Address, verdict.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_worker_signature_moved_from_another_step_is_invalid()
    {
        var (_, request) = Honest();
        var signatureOf3 = request.Leaves.Single(l => l.Leaf == 3).Signature;

        AssertInvalid(Replace(request, 5, l => l with { Signature = signatureOf3 }), "step 5: the opening is not signed by the worker's key");
    }

    [Fact]
    public void A_missing_signature_is_invalid()
    {
        var (_, request) = Honest();

        AssertInvalid(Replace(request, 3, l => l with { Signature = null }), "step 3: the opening is not signed by the worker's key (no signature)");
    }

    public static TheoryData<string, string> UnparseableSignatures => new()
    {
        { "0x1234", "65 bytes" },
        { "0x" + new string('z', 130), "not hex digits" },
        { "", "65 bytes" },
    };

    [Theory]
    [MemberData(nameof(UnparseableSignatures))]
    public void An_unparseable_signature_is_invalid(string signature, string why)
    {
        var (_, request) = Honest();

        var verdict = AssertInvalid(Replace(request, 5, l => l with { Signature = signature }), "step 5: the opening is not signed by the worker's key");
        Assert.Contains(why, verdict.Reason);
    }

    [Fact]
    public void An_end_state_that_is_not_leaf_H_is_invalid()
    {
        var (trajectory, request) = Honest();

        AssertInvalid(request with { EndState = _job.Put(trajectory.OpenState(_job.Worker, H - 1)) }, "does not hold the delivered final state");
    }

    [Fact]
    public void A_start_state_that_is_not_leaf_0_is_invalid()
    {
        var (trajectory, request) = Honest();

        AssertInvalid(request with { StartState = _job.Put(trajectory.OpenState(_job.Worker, 1)) }, "does not hold the assigned start state");
    }

    [Fact]
    public void A_blob_that_is_not_a_checkpoint_is_invalid()
    {
        var (_, request) = Honest();
        var noise = new byte[4096];
        new Random(5).NextBytes(noise);
        var garbage = _job.Put(noise);

        AssertInvalid(Replace(request, 4, l => l with { State = garbage }), "the opened state before step 5");
        AssertInvalid(request with { EndState = garbage }, "the delivered end state");
    }

    [Fact]
    public void A_blob_missing_from_the_store_is_invalid()
    {
        var (_, request) = Honest();
        var missing = Sha256Digest.Of("never uploaded"u8);

        var verdict = AssertInvalid(Replace(request, 2, l => l with { State = missing }), "the opened state before step 3");
        Assert.Contains("does not load", verdict.Reason);
        AssertInvalid(request with { EndState = missing }, "the delivered end state");
    }

    [Fact]
    public void A_null_entry_in_the_leaves_is_invalid()
    {
        var (_, request) = Honest();

        AssertInvalid(request with { Leaves = [.. request.Leaves, null!] }, "an opened leaf or its proof is missing");
        AssertInvalid(Replace(request, 3, l => l with { Proof = null! }), "an opened leaf or its proof is missing");
        AssertInvalid(Replace(request, 3, l => l with { Proof = l.Proof with { Siblings = null! } }), "an opened leaf or its proof is missing");
    }

    [Fact]
    public void A_null_leaves_list_is_invalid()
    {
        var (_, request) = Honest();

        AssertInvalid(request with { Leaves = null! }, "the answer could not be checked");
    }

    [Fact]
    public void A_cross_class_answer_without_the_state_after_is_invalid()
    {
        var (_, request) = Honest(crossClass: true);

        AssertInvalid(Replace(request, 5, l => l with { State = null }), "needs the state after the step opened too");
    }
}
