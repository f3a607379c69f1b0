using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Tests.Verification;

/// <summary>A shard as a worker ran it: every state 0..H, the step digests and the committed tree.</summary>
internal sealed record ShardRun(ShardTask Task, StateSnapshot[] States, Sha256Digest[] Digests, MerkleTree Tree)
{
    public Sha256Digest Root => Tree.Root;

    public StepOpening Open(int step, bool withAfter = false) =>
        StepOpening.Create(step, Tree, Digests, States[step - 1], withAfter ? States[step] : null);

    /// <summary>Runs the shard honestly, keeping every state (the session must checkpoint every step).</summary>
    public static ShardRun Honest(TrainingSession session, ShardTask task, StateSnapshot start)
    {
        var recorder = new Recorder();
        var outcome = session.RunShard(task, start, recorder);
        var states = new[] { start }.Concat(recorder.Checkpoints.Select(c => c.State)).Append(outcome.FinalState).ToArray();
        Assert.Equal(task.InnerSteps + 1, states.Length);
        return new ShardRun(task, states, outcome.StepDigests.ToArray(), new MerkleTree(outcome.StepDigests));
    }

    /// <summary>
    /// What a cheating worker commits: the honest states up to step <paramref name="step"/> − 1, a faked state
    /// after step <paramref name="step"/>, and the later steps trained on from the fake, digests and root recomputed.
    /// </summary>
    public ShardRun FakeStep(TrainingSession session, int step, Func<StateSnapshot, StateSnapshot, StateSnapshot> fake)
    {
        var states = States.ToArray();
        states[step] = fake(states[step - 1], states[step]);
        for (var i = step + 1; i < states.Length; i++) states[i] = session.ReplayStep(Task, states[i - 1], i);
        var digests = states.Select(s => s.Digest()).ToArray();
        return this with { States = states, Digests = digests, Tree = new MerkleTree(digests) };
    }

    private sealed class Recorder : IShardObserver
    {
        public List<ShardCheckpoint> Checkpoints { get; } = [];
        public void OnStep(int localStep, float loss) { }
        public void OnCheckpoint(ShardCheckpoint checkpoint) => Checkpoints.Add(checkpoint);
    }
}

internal static class StateEdits
{
    /// <summary>The state with every parameter value passed through <paramref name="change"/> (optimizer buffers kept).</summary>
    public static StateSnapshot MapParameters(StateSnapshot state, Func<float, float> change) => new(
        state.Tensors.Select(t => t.Name.StartsWith("param/", StringComparison.Ordinal) ? t with { Values = t.Values.Select(change).ToArray() } : t), state.Step);

    /// <summary>before + scale · (after − before) on every tensor; the step counter of <paramref name="after"/>.</summary>
    public static StateSnapshot ScaleUpdate(StateSnapshot before, StateSnapshot after, float scale) => new(
        after.Tensors.Select((t, i) => t with { Values = t.Values.Select((v, j) => before.Tensors[i].Values[j] + scale * (v - before.Tensors[i].Values[j])).ToArray() }),
        after.Step);
}

public sealed class SpotCheckVerifierTests : IDisposable
{
    private const int H = 24;
    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)(255 - i)).ToArray();
    private readonly JobSpec _spec = TestSpecs.Synthetic(innerSteps: H, checkpointEvery: 1, rounds: 3, shards: 2);
    private readonly DatasetSplits _data;
    private readonly TrainingSession _session;
    private readonly SpotCheckVerifier _verifier;

    public SpotCheckVerifierTests()
    {
        _data = DatasetLoader.Load(_spec, Path.GetTempPath());
        _session = new TrainingSession(_spec, _data);
        _verifier = new SpotCheckVerifier(_session);
    }

    public void Dispose()
    {
        _session.Dispose();
        _data.Dispose();
    }

    private ShardTask Task(int round = 0, int shard = 0) => ShardTask.For(_spec, round, shard, _data.Train.Count);

    private ShardRun Honest(int round = 0, int shard = 0) => ShardRun.Honest(_session, Task(round, shard), _session.InitialState.WithStep((long)round * H));

    private static SpotCheckChallenge Challenge(ShardRun run, params int[] steps) => new(run.Task, run.Root, steps, run.States[0].Step);

    private SpotCheckVerdict VerifyOne(ShardRun run, StepOpening opening, params int[] asked) =>
        _verifier.Verify(Challenge(run, asked.Length > 0 ? asked : [opening.Step]), [opening]);

    private static void AssertMalformed(SpotCheckVerdict verdict, Malformation expected, string reasonContains)
    {
        Assert.Equal(VerdictKind.Malformed, verdict.Kind);
        Assert.Equal(expected, verdict.Malformation);
        Assert.Contains(reasonContains, verdict.Reason);
        Assert.DoesNotContain('\n', verdict.Reason);
        Assert.Null(verdict.Evidence);
    }

    [Fact]
    public void Honest_shards_pass_every_challenged_step_with_no_false_rejection()
    {
        var verified = 0;
        var start = _session.InitialState;
        for (var round = 0; round < 3; round++)
        {
            ShardRun? last = null;
            for (var shard = 0; shard < 2; shard++)
            {
                var run = ShardRun.Honest(_session, Task(round, shard), start);
                var steps = ChallengeSampler.Draw(Secret, "honest-job", round, shard, run.Root, H, 20);
                var challenge = Challenge(run, [.. steps]);
                var openings = steps.Select(s => run.Open(s)).ToList();
                foreach (var opening in openings)
                {
                    var verdict = _verifier.VerifyStep(challenge, opening);
                    Assert.True(verdict.IsAccepted, $"round {round} shard {shard}: {verdict}");
                    verified++;
                }
                var all = _verifier.Verify(challenge, openings);
                Assert.True(all.IsAccepted, all.ToString());
                Assert.Contains("all 20 challenged steps replay bit for bit", all.Reason);
                last = run;
            }
            start = last!.States[^1];
        }
        Assert.True(verified >= 100, $"{verified} step verifications");
    }

    [Fact]
    public void A_faked_step_is_rejected_as_fraud_naming_the_step_and_both_digests()
    {
        var honest = Honest();
        var cheat = honest.FakeStep(_session, 7, (_, after) => StateEdits.MapParameters(after, v => v * 1.001f));
        var verdict = VerifyOne(cheat, cheat.Open(7));
        Assert.Equal(VerdictKind.Fraud, verdict.Kind);
        Assert.Equal(7, verdict.Step);
        Assert.NotNull(verdict.Evidence);
        Assert.Equal(7, verdict.Evidence.Step);
        Assert.Equal(honest.Digests[7], verdict.Evidence.Expected);        // the replay reproduces the honest state
        Assert.Equal(cheat.Digests[7], verdict.Evidence.Claimed);
        Assert.Contains("step 7", verdict.Reason);
        // The cheater's later steps are consistent with its fake, so only a check of step 7 itself catches it.
        Assert.True(VerifyOne(cheat, cheat.Open(8)).IsAccepted);
        Assert.True(VerifyOne(cheat, cheat.Open(6)).IsAccepted);
        var mixed = _verifier.Verify(Challenge(cheat, 3, 7, 20), [cheat.Open(20), cheat.Open(3), cheat.Open(7)]);
        Assert.Equal(VerdictKind.Fraud, mixed.Kind);
        Assert.Equal(7, mixed.Step);
    }

    [Fact]
    public void A_skipped_step_is_rejected_as_fraud()
    {
        var cheat = Honest(1, 1).FakeStep(_session, 12, (before, _) => before.WithStep(before.Step + 1));
        var verdict = VerifyOne(cheat, cheat.Open(12));
        Assert.Equal(VerdictKind.Fraud, verdict.Kind);
        Assert.Equal(12, verdict.Evidence!.Step);
    }

    [Fact]
    public void A_forged_proof_is_malformed()
    {
        var run = Honest();
        var opening = run.Open(5);
        var siblings = opening.AfterLeaf.Proof.Siblings.ToArray();
        siblings[1] = siblings[1] with { A = siblings[1].A ^ 1 };
        AssertMalformed(VerifyOne(run, opening with { AfterLeaf = opening.AfterLeaf with { Proof = opening.AfterLeaf.Proof with { Siblings = siblings } } }),
            Malformation.ForgedProof, "does not lead to the committed root");
        // A leaf digest the tree does not hold, with the honest proof.
        AssertMalformed(VerifyOne(run, opening with { AfterLeaf = opening.AfterLeaf with { Digest = Sha256Digest.Of("made up"u8) } }),
            Malformation.ForgedProof, "state after");
        // Honest openings against another root.
        AssertMalformed(_verifier.Verify(Challenge(run, 5) with { Root = Honest(0, 1).Root }, [opening]), Malformation.ForgedProof, "state before");
        // Too few siblings.
        AssertMalformed(VerifyOne(run, opening with { BeforeLeaf = opening.BeforeLeaf with { Proof = opening.BeforeLeaf.Proof with { Siblings = [] } } }),
            Malformation.ForgedProof, "state before");
    }

    [Fact]
    public void A_proof_for_another_leaf_or_tree_size_is_malformed()
    {
        var run = Honest();
        var opening = run.Open(5);
        // Leaf 6 is genuine, just not the one asked for.
        var wrongAfter = opening with { AfterLeaf = new LeafOpening(run.Digests[6], run.Tree.Prove(6)) };
        AssertMalformed(VerifyOne(run, wrongAfter), Malformation.WrongLeaf, "is for leaf 6, expected leaf 5");
        var wrongBefore = opening with { BeforeLeaf = new LeafOpening(run.Digests[5], run.Tree.Prove(5)) };
        AssertMalformed(VerifyOne(run, wrongBefore), Malformation.WrongLeaf, "is for leaf 5, expected leaf 4");
        var otherSize = opening with { AfterLeaf = opening.AfterLeaf with { Proof = opening.AfterLeaf.Proof with { LeafCount = H } } };
        AssertMalformed(VerifyOne(run, otherSize), Malformation.WrongLeaf, $"tree of {H} leaves, the shard commits {H + 1}");
    }

    [Fact]
    public void An_opened_state_that_does_not_hash_to_its_leaf_is_malformed()
    {
        var run = Honest();
        // A genuine state, but the one before step 4, offered as the state before step 5.
        AssertMalformed(VerifyOne(run, run.Open(5) with { Before = run.States[3] }), Malformation.StateDigestMismatch, "not to the proven leaf 4");
        // Garbage values of the right shapes.
        var random = new Random(3);
        var garbage = StateEdits.MapParameters(run.States[4], _ => (float)random.NextDouble());
        AssertMalformed(VerifyOne(run, run.Open(5) with { Before = garbage }), Malformation.StateDigestMismatch, "hashes to");
        // The right values with another step counter.
        AssertMalformed(VerifyOne(run, run.Open(5) with { Before = run.States[4].WithStep(99) }), Malformation.StateDigestMismatch, "hashes to");
    }

    [Fact]
    public void A_committed_state_with_the_wrong_step_counter_is_malformed()
    {
        var run = Honest(2, 0);
        var shifted = run.FakeStep(_session, 1, (before, after) => after.WithStep(after.Step + 5));
        // The verifier knows the shard starts at step 48, so the state before step 3 must carry 50.
        var verdict = VerifyOne(shifted, shifted.Open(3));
        AssertMalformed(verdict, Malformation.WrongStepCounter, "carries optimizer step 55, expected 50");
    }

    [Fact]
    public void Openings_for_steps_not_asked_missing_or_twice_are_malformed()
    {
        var run = Honest();
        AssertMalformed(VerifyOne(run, run.Open(5), 4, 6), Malformation.StepNotAsked, "step 5 was opened but not asked (asked: 4, 6)");
        AssertMalformed(_verifier.VerifyStep(Challenge(run, 4), run.Open(5)), Malformation.StepNotAsked, "was not asked");
        var outside = run.Open(H) with { Step = H + 1 };
        AssertMalformed(_verifier.VerifyStep(Challenge(run, H + 1), outside), Malformation.StepNotAsked, $"outside the shard's steps 1..{H}");
        AssertMalformed(_verifier.VerifyStep(Challenge(run, 0), run.Open(1) with { Step = 0 }), Malformation.StepNotAsked, "outside");
        AssertMalformed(_verifier.Verify(Challenge(run, 4, 6, 9), [run.Open(6)]), Malformation.MissingStep, "asked steps 4, 9 were not opened");
        AssertMalformed(_verifier.Verify(Challenge(run, 4), [run.Open(4), run.Open(4)]), Malformation.DuplicateStep, "step 4 was opened twice");
    }

    [Fact]
    public void Truncated_misshapen_or_missing_tensors_are_malformed_never_an_exception()
    {
        var run = Honest();
        var before = run.States[4];
        var first = before.Tensors[0];
        StateSnapshot Replace(StateTensor t) => new(before.Tensors.Skip(1).Prepend(t), before.Step);

        AssertMalformed(VerifyOne(run, run.Open(5) with { Before = Replace(first with { Values = first.Values[..^3] }) }),
            Malformation.WrongShapes, $"values in {first.Name}");
        AssertMalformed(VerifyOne(run, run.Open(5) with { Before = Replace(first with { Shape = [.. first.Shape, 1], Values = first.Values }) }),
            Malformation.WrongShapes, $"has {first.Name} shaped");
        AssertMalformed(VerifyOne(run, run.Open(5) with { Before = new StateSnapshot(before.Tensors.Skip(1), before.Step) }),
            Malformation.WrongShapes, $"has {before.Tensors.Count - 1} tensors, the model has {before.Tensors.Count}");
        AssertMalformed(VerifyOne(run, run.Open(5) with { Before = Replace(first with { Name = "param/zzz" }) }),
            Malformation.WrongShapes, "has tensor");
        AssertMalformed(VerifyOne(run, run.Open(5) with { Before = Replace(first with { Values = null! }) }),
            Malformation.WrongShapes, "has 0 values");
        AssertMalformed(VerifyOne(run, run.Open(5) with { Before = Replace(first with { Shape = null! }) }),
            Malformation.WrongShapes, "shaped []");
        AssertMalformed(VerifyOne(run, run.Open(5) with { Before = new StateSnapshot([], 4) }), Malformation.WrongShapes, "has 0 tensors");
    }

    [Fact]
    public void Missing_pieces_are_malformed_never_an_exception()
    {
        var run = Honest();
        var challenge = Challenge(run, 5);
        AssertMalformed(_verifier.Verify(challenge, null), Malformation.Unreadable, "no openings");
        AssertMalformed(_verifier.Verify(challenge, [null]), Malformation.Unreadable, "missing");
        AssertMalformed(_verifier.VerifyStep(challenge, null), Malformation.Unreadable, "missing");
        AssertMalformed(_verifier.VerifyStep(challenge, run.Open(5) with { Before = null! }), Malformation.Unreadable, "lacks a state or a proof");
        AssertMalformed(_verifier.VerifyStep(challenge, run.Open(5) with { AfterLeaf = null! }), Malformation.Unreadable, "lacks a state or a proof");
        AssertMalformed(_verifier.VerifyStep(challenge, run.Open(5) with { BeforeLeaf = run.Open(5).BeforeLeaf with { Proof = null! } }), Malformation.Unreadable, "lacks");
        AssertMalformed(_verifier.Verify(challenge with { Steps = null! }, [run.Open(5)]), Malformation.Unreadable, "could not be checked");
        // The bit-exact check does not need the state after; the tolerance check does.
        AssertMalformed(_verifier.VerifyStepWithinTolerance(challenge, run.Open(5), 1e-4), Malformation.Unreadable, "needs the state after");
        Assert.True(_verifier.VerifyStep(challenge, run.Open(5)).IsAccepted);
    }

    [Fact]
    public void The_tree_must_run_from_the_assigned_start_to_the_delivered_final_state()
    {
        var run = Honest();
        var challenge = Challenge(run, 3);
        var (start, final) = (run.States[0].Digest(), run.States[H].Digest());
        Assert.True(SpotCheckVerifier.VerifyEnds(challenge, start, run.Tree.Prove(0), final, run.Tree.Prove(H)).IsAccepted);
        // A worker that trained honestly, but from another start, passes every spot-check; only the ends give it away.
        var elsewhere = ShardRun.Honest(_session, run.Task, StateEdits.MapParameters(run.States[0], v => v * 0.5f));
        Assert.True(VerifyOne(elsewhere, elsewhere.Open(3)).IsAccepted);
        var verdict = SpotCheckVerifier.VerifyEnds(Challenge(elsewhere, 3), start, elsewhere.Tree.Prove(0), elsewhere.States[H].Digest(), elsewhere.Tree.Prove(H));
        AssertMalformed(verdict, Malformation.ForgedProof, "does not hold the assigned start state");
        AssertMalformed(SpotCheckVerifier.VerifyEnds(challenge, start, run.Tree.Prove(1), final, run.Tree.Prove(H)), Malformation.WrongLeaf, "expected leaf 0");
        AssertMalformed(SpotCheckVerifier.VerifyEnds(challenge, start, run.Tree.Prove(0), final, null), Malformation.Unreadable, $"leaf {H}: the proof is missing");
    }

    [Fact]
    public void Within_one_numeric_class_the_tolerance_check_accepts_honest_steps_with_zero_error_and_rejects_fakes()
    {
        var run = Honest();
        var accepted = _verifier.VerifyWithinTolerance(Challenge(run, 2, 9), [run.Open(2, withAfter: true), run.Open(9, withAfter: true)], 1e-4);
        Assert.True(accepted.IsAccepted, accepted.ToString());
        Assert.Equal(0, accepted.RelativeError);

        var cheat = run.FakeStep(_session, 9, (before, after) => StateEdits.ScaleUpdate(before, after, 1.5f));
        var verdict = _verifier.VerifyWithinTolerance(Challenge(cheat, 9), [cheat.Open(9, withAfter: true)], 1e-4);
        Assert.Equal(VerdictKind.Fraud, verdict.Kind);
        Assert.Equal(9, verdict.Step);
        Assert.InRange(verdict.Evidence!.RelativeError!.Value, 0.45, 0.55);   // the update is off by half of itself

        var wrongAfter = run.Open(9, withAfter: true) with { After = run.States[10] };
        AssertMalformed(_verifier.VerifyStepWithinTolerance(Challenge(run, 9), wrongAfter, 1e-4), Malformation.StateDigestMismatch, "state after hashes to");
    }

    [Fact]
    public void The_relative_update_error_is_zero_for_equal_states_one_for_a_skipped_step_and_infinite_for_nan()
    {
        var run = Honest();
        var (before, after) = (run.States[3], run.States[4]);
        Assert.Equal((0.0, 0.0), SpotCheckVerifier.RelativeUpdateError(before, after, after));
        var (p, o) = SpotCheckVerifier.RelativeUpdateError(before, after, before.WithStep(after.Step));
        Assert.Equal(1.0, p, 6);
        Assert.Equal(1.0, o, 6);
        Assert.Equal(double.PositiveInfinity, SpotCheckVerifier.RelativeUpdateError(before, after, StateEdits.MapParameters(after, _ => float.NaN)).Parameters);
        Assert.Equal(1e-6, SpotCheckVerifier.CalibrateTolerance([0, 0]));
        Assert.Equal(3e-3, SpotCheckVerifier.CalibrateTolerance([1e-4, 3e-4], margin: 10), 12);
        Assert.Throws<ArgumentException>(() => SpotCheckVerifier.CalibrateTolerance([double.NaN]));
    }
}
