using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Testing.Workers;
using Gensyn.Training.Data;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Tests.Verification;

/// <summary>
/// training.commit-every: a shard commits the states after local steps 0, c, 2c, ..., H; a challenge opens a
/// committed state and replays the segment of c steps to the next one; bisection descends to a segment and the referee
/// replays it.
/// </summary>
public sealed class CommitEveryTests : IDisposable
{
    private const int H = 12, C = 4;
    private readonly TempDirectory _directory = new();
    private readonly DatasetSplits _data;
    private readonly TrainingSession _session;

    public CommitEveryTests()
    {
        Spec = TestSpecs.Synthetic(innerSteps: H, checkpointEvery: 8, commitEvery: C);
        _data = DatasetLoader.Load(Spec, _directory.Path);
        _session = new TrainingSession(Spec, _data);
    }

    private JobSpec Spec { get; }

    private ShardTask Task(int commitEvery = C) =>
        ShardTask.For(Spec, 1, 0, _data.Train.Count) with { CommitEvery = commitEvery };

    private StateSnapshot Start => _session.InitialState.WithStep(H);

    private ShardTrajectory Run(WorkerBehavior behavior, ShardTask? task = null, IShardObserver? observer = null,
                                ShardCheckpoint? resume = null, double fakeFraction = 0.2) =>
        WorkerBehaviors.Run(_session, task ?? Task(), Start, behavior, fakeFraction, observer, resume,
            CancellationToken.None);

    private SpotCheckChallenge Challenge(ShardTrajectory t, params int[] segments) =>
        new(t.Task, t.Outcome.MerkleRoot, segments, Start.Step);

    [Fact]
    public void The_spec_field_reaches_the_task_and_the_leaves_are_the_states_after_steps_0_c_2c_and_H()
    {
        Assert.Equal(C, Spec.RequireTraining().CommitEvery);
        Assert.Equal(C, Task().Every);
        // H = 10 with c = 4: leaves at 0, 4, 8 and 10 (the last segment is shorter; H is always a leaf).
        foreach (var (h, leaves) in new[] { (H, new[] { 0, 4, 8, 12 }), (10, new[] { 0, 4, 8, 10 }) })
        {
            var task = Task() with { InnerSteps = h, CheckpointEvery = h };
            var everyStep = _session.RunShard(task with { CommitEvery = 1 }, Start);
            var committed = _session.RunShard(task, Start);

            Assert.Equal(leaves.Length, committed.StepDigests.Count);
            Assert.Equal(leaves.Length - 1, task.Segments);
            Assert.Equal(leaves, Enumerable.Range(0, leaves.Length).Select(task.LeafStep));
            Assert.Equal(leaves.Select(s => everyStep.StepDigests[s]), committed.StepDigests);
            Assert.Equal(MerkleTree.ComputeRoot(committed.StepDigests), committed.MerkleRoot);
            // Committing less changes nothing in the training: same end state, same losses.
            Assert.Equal(everyStep.FinalState.Digest(), committed.FinalState.Digest());
            Assert.Equal(everyStep.Losses, committed.Losses);
        }
    }

    [Fact]
    public void An_honest_trajectory_opens_every_committed_leaf_and_passes_a_check_of_every_segment()
    {
        var trajectory = Run(WorkerBehavior.Honest);
        var task = trajectory.Task;
        for (var leaf = 0; leaf <= task.Segments; leaf++)
            Assert.Equal(trajectory.Outcome.StepDigests[leaf], trajectory.OpenLeaf(_session, leaf).Digest());

        var all = Enumerable.Range(1, task.Segments).ToArray();
        var verifier = new SpotCheckVerifier(_session);
        var exact = verifier.Verify(Challenge(trajectory, all),
            all.Select(s => trajectory.Open(_session, s, false)).ToList());
        Assert.True(exact.IsAccepted, exact.ToString());
        var crossClass = verifier.VerifyWithinTolerance(Challenge(trajectory, all),
            all.Select(s => trajectory.Open(_session, s, true)).ToList(), 0);
        Assert.True(crossClass.IsAccepted, crossClass.ToString());
        var tree = new MerkleTree(trajectory.Outcome.StepDigests);
        var ends = SpotCheckVerifier.VerifyEnds(Challenge(trajectory, all), Start.Digest(), tree.Prove(0),
            trajectory.Outcome.FinalState.Digest(), tree.Prove(task.Segments));
        Assert.True(ends.IsAccepted, ends.ToString());
    }

    [Theory]
    [InlineData(WorkerBehavior.Lazy)]
    [InlineData(WorkerBehavior.Noisy)]
    public void A_fake_inside_a_segment_is_caught_when_that_segment_is_challenged_and_not_otherwise(
        WorkerBehavior behavior)
    {
        // 2 of 12 steps faked: at most two of the three segments hold a fake, so some segment is clean.
        var trajectory = Run(behavior, fakeFraction: 2.0 / H);
        var faked = trajectory.FakedSegments;
        Assert.Equal(trajectory.FakedSteps.Select(s => (s + C - 1) / C).ToHashSet(), faked);
        Assert.InRange(faked.Count, 1, trajectory.Task.Segments - 1);

        var verifier = new SpotCheckVerifier(_session);
        for (var segment = 1; segment <= trajectory.Task.Segments; segment++)
        {
            var verdict = verifier.Verify(Challenge(trajectory, segment), [trajectory.Open(_session, segment, false)]);
            if (faked.Contains(segment))
            {
                Assert.Equal(VerdictKind.Fraud, verdict.Kind);
                Assert.Equal(segment, verdict.Step);
                Assert.Contains($"segment {segment} (steps {(segment - 1) * C + 1}..{segment * C})", verdict.Reason);
            }
            else
            {
                Assert.True(verdict.IsAccepted, $"segment {segment}: {verdict}");
            }
        }
    }

    [Fact]
    public void Bisection_with_c_above_1_finds_the_first_faked_segment_and_the_referee_blames_the_faker()
    {
        var honest = Run(WorkerBehavior.Honest);
        var lazy = Run(WorkerBehavior.Lazy, fakeFraction: 2.0 / H);
        var task = honest.Task;
        var (treeA, treeB) = (new MerkleTree(honest.Outcome.StepDigests), new MerkleTree(lazy.Outcome.StepDigests));

        var bisection = new Bisection(task.Segments, honest.Outcome.MerkleRoot, lazy.Outcome.MerkleRoot);
        var outcome = bisection.Run(q => Bisection.Answer(treeA, honest.Outcome.StepDigests, q),
            q => Bisection.Answer(treeB, lazy.Outcome.StepDigests, q));

        var divergence = Assert.IsType<Divergence>(outcome);
        Assert.Equal(lazy.FakedSegments.Min(), divergence.Leaf);
        var ruling = new Referee(_session).Judge(task, divergence, Start.Digest(),
            honest.OpenLeaf(_session, divergence.Leaf - 1));
        Assert.Equal(Culprit.B, ruling.Culprit);
        Assert.Equal(honest.Outcome.StepDigests[divergence.Leaf], ruling.Expected);
    }

    [Fact]
    public void A_resume_from_a_checkpoint_commits_the_same_root_and_its_digests_are_the_committed_leaves()
    {
        var recorder = new Recorder();
        var uninterrupted = _session.RunShard(Task(), Start, recorder);
        var checkpoint = Assert.Single(recorder.Checkpoints);
        Assert.Equal(8, checkpoint.LocalStep);
        Assert.Equal(uninterrupted.StepDigests.Take(3), checkpoint.Digests);
        Assert.Equal(PrefixReplay.Digests(_session, Task(), Start, 8), checkpoint.Digests);

        var resumed = Run(WorkerBehavior.Honest, resume: checkpoint);
        Assert.Equal(uninterrupted.MerkleRoot, resumed.Outcome.MerkleRoot);
        for (var leaf = 0; leaf <= Task().Segments; leaf++)
            Assert.Equal(uninterrupted.StepDigests[leaf], resumed.OpenLeaf(_session, leaf).Digest());
    }

    [Fact]
    public void Checkpoints_that_do_not_fall_on_committed_states_are_refused_before_training()
    {
        var error = Assert.Throws<ArgumentException>(
            () => _session.RunShard(Task() with { CheckpointEvery = 6 }, Start));
        Assert.Contains("multiple of commit-every", error.Message);
    }

    [Theory]
    [InlineData(100, 50, 25, 25)]
    [InlineData(100, 100, 25, 25)]
    [InlineData(100, 50, 10, 10)]
    [InlineData(150, 50, 25, 25)]
    [InlineData(100, 50, 1, 5)]
    [InlineData(100, 50, 2, 10)]   // 50 segments, one kept every 5 (10 states), not every 25 (2: 48-step openings)
    public void Kept_states_are_committed_states(int innerSteps, int checkpointEvery, int commitEvery, int expected)
    {
        var every = ShardTrajectory.LocalStateEvery(innerSteps, checkpointEvery, commitEvery);
        Assert.Equal(expected, every);
        Assert.Equal(0, every % commitEvery);
        Assert.Equal(0, checkpointEvery % every);
    }

    private sealed class Recorder : IShardObserver
    {
        public List<ShardCheckpoint> Checkpoints { get; } = [];
        public void OnStep(int localStep, float loss) { }
        public void OnCheckpoint(ShardCheckpoint checkpoint) { lock (Checkpoints) Checkpoints.Add(checkpoint); }
    }

    public void Dispose()
    {
        _session.Dispose();
        _data.Dispose();
        _directory.Dispose();
    }
}
