using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Gensyn.Testing.Workers;
using Gensyn.Training.Verification;

namespace Gensyn.Tests.Verification;

public sealed class ShardTrajectoryTests
{
    /// <summary>A job's data and session for one test, disposed together.</summary>
    private sealed class Job : IDisposable
    {
        private readonly TempDirectory _directory = new();
        private readonly DatasetSplits _data;

        public Job(string kind, int innerSteps = 12, int checkpointEvery = 4)
        {
            Spec = kind switch
            {
                "mlp" => TestSpecs.Synthetic(innerSteps: innerSteps, checkpointEvery: checkpointEvery, rounds: 3),
                "cnn" => TestSpecs.Cnn(_directory.Path),
                "charlm" => TestSpecs.CharLm(_directory.Path),
                _ => throw new ArgumentException(kind),
            };
            _data = DatasetLoader.Load(Spec, _directory.Path);
            Session = new TrainingSession(Spec, _data);
            Verifier = new SpotCheckVerifier(Session);
        }

        public JobSpec Spec { get; }
        public TrainingSession Session { get; }
        public SpotCheckVerifier Verifier { get; }
        public int H => Spec.InnerSteps;
        public ShardTask Task(int round = 1, int shard = 0) => ShardTask.For(Spec, round, shard, _data.Train.Count);
        public StateSnapshot Start(int round = 1) => Session.InitialState.WithStep((long)round * H);

        public ShardTrajectory Run(WorkerBehavior behavior, double fakeFraction = 0.25, IShardObserver? observer = null, ShardCheckpoint? resume = null) =>
            WorkerBehaviors.Run(Session, Task(), Start(), behavior, fakeFraction, observer, resume, CancellationToken.None);

        /// <summary>A challenge of every step 1..H (k = H).</summary>
        public SpotCheckChallenge ChallengeAll(ShardTrajectory trajectory) =>
            new(trajectory.Task, trajectory.Outcome.MerkleRoot, Enumerable.Range(1, H).ToList(), Start().Step);

        public List<StepOpening> OpenAll(ShardTrajectory trajectory, bool withAfter = false) =>
            Enumerable.Range(1, H).Select(s => trajectory.Open(Session, s, withAfter)).ToList();

        public void Dispose()
        {
            Session.Dispose();
            _data.Dispose();
            _directory.Dispose();
        }
    }

    private sealed class Recorder : IShardObserver
    {
        public List<ShardCheckpoint> Checkpoints { get; } = [];
        public List<int> Steps { get; } = [];
        public void OnStep(int localStep, float loss) => Steps.Add(localStep);
        public void OnCheckpoint(ShardCheckpoint checkpoint) { lock (Checkpoints) Checkpoints.Add(checkpoint); }
    }

    private static void AssertOpensEveryCommittedLeaf(Job job, ShardTrajectory trajectory)
    {
        for (var i = 0; i <= job.H; i++)
            Assert.Equal(trajectory.Outcome.StepDigests[i], trajectory.OpenState(job.Session, i).Digest());
    }

    private static void AssertHonestOpeningsPass(Job job, ShardTrajectory trajectory)
    {
        var challenge = job.ChallengeAll(trajectory);
        var verdict = job.Verifier.Verify(challenge, job.OpenAll(trajectory));
        Assert.True(verdict.IsAccepted, verdict.ToString());
        var crossClass = job.Verifier.VerifyWithinTolerance(challenge, job.OpenAll(trajectory, withAfter: true), 0);
        Assert.True(crossClass.IsAccepted, crossClass.ToString());
        var tree = new MerkleTree(trajectory.Outcome.StepDigests);
        var ends = SpotCheckVerifier.VerifyEnds(challenge, job.Start().Digest(), tree.Prove(0), trajectory.Outcome.FinalState.Digest(), tree.Prove(job.H));
        Assert.True(ends.IsAccepted, ends.ToString());
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    [InlineData("charlm")]
    public void An_honest_trajectory_opens_every_leaf_it_committed_and_passes_a_check_of_every_step(string kind)
    {
        using var job = new Job(kind);
        var observer = new Recorder();
        var trajectory = job.Run(WorkerBehavior.Honest, observer: observer);
        var plain = job.Session.RunShard(job.Task(), job.Start());

        Assert.Equal(plain.MerkleRoot, trajectory.Outcome.MerkleRoot);
        Assert.Equal(plain.FinalState.Digest(), trajectory.Outcome.FinalState.Digest());
        Assert.Equal(plain.Losses, trajectory.Outcome.Losses);
        Assert.Empty(trajectory.FakedSteps);
        // The caller's observer sees every step and exactly the task's checkpoints (every C steps); the trajectory keeps
        // its own states more often (about every H/16 steps, at most 32 of them besides start and final), never more.
        var c = job.Spec.RequireTraining().CheckpointEvery;
        Assert.Equal(Enumerable.Range(1, job.H), observer.Steps);
        Assert.Equal((job.H - 1) / c, observer.Checkpoints.Count);
        Assert.All(observer.Checkpoints, k => Assert.Equal(0, k.LocalStep % c));
        Assert.InRange(trajectory.KeptStates, observer.Checkpoints.Count + 2, Math.Min(job.H + 1, 34));

        AssertOpensEveryCommittedLeaf(job, trajectory);
        AssertHonestOpeningsPass(job, trajectory);
    }

    [Fact]
    public void A_refuser_trains_honestly()
    {
        using var job = new Job("mlp");
        var trajectory = job.Run(WorkerBehavior.Refuser);
        Assert.Equal(job.Session.RunShard(job.Task(), job.Start()).MerkleRoot, trajectory.Outcome.MerkleRoot);
        AssertHonestOpeningsPass(job, trajectory);
    }

    [Fact]
    public void An_honest_trajectory_resumed_from_a_checkpoint_opens_steps_on_both_sides_of_it()
    {
        using var job = new Job("mlp", innerSteps: 12, checkpointEvery: 5);
        var first = new Recorder();
        var uninterrupted = job.Session.RunShard(job.Task(), job.Start(), first);
        var checkpoint = first.Checkpoints.Single(c => c.LocalStep == 5);

        var trajectory = job.Run(WorkerBehavior.Honest, resume: checkpoint);
        Assert.Equal(uninterrupted.MerkleRoot, trajectory.Outcome.MerkleRoot);
        Assert.Equal(uninterrupted.FinalState.Digest(), trajectory.Outcome.FinalState.Digest());
        // Leaves 1..4 lie before the resume point: they are rebuilt from the start state; 5..12 from the checkpoint on.
        AssertOpensEveryCommittedLeaf(job, trajectory);
        AssertHonestOpeningsPass(job, trajectory);
    }

    [Theory]
    [InlineData(WorkerBehavior.Lazy)]
    [InlineData(WorkerBehavior.Noisy)]
    [InlineData(WorkerBehavior.Stale)]
    [InlineData(WorkerBehavior.WrongData)]
    [InlineData(WorkerBehavior.Copycat)]
    public void An_adversarial_trajectory_is_well_formed_and_rejected_as_fraud(WorkerBehavior behavior)
    {
        using var job = new Job("mlp");
        var observer = new Recorder();
        var trajectory = job.Run(behavior, observer: observer);
        var honest = job.Session.RunShard(job.Task(), job.Start());
        Assert.NotEqual(honest.MerkleRoot, trajectory.Outcome.MerkleRoot);
        Assert.Equal(Enumerable.Range(1, job.H), observer.Steps);
        Assert.Equal(job.H, trajectory.Outcome.Losses.Count);
        Assert.All(trajectory.Outcome.Losses, l => Assert.True(float.IsFinite(l) && l > 0, $"loss {l}"));
        Assert.NotEmpty(trajectory.FakedSteps);

        // Its openings are what it committed: the states hash to the leaves and the proofs lead to its root.
        AssertOpensEveryCommittedLeaf(job, trajectory);
        Assert.Equal(trajectory.Outcome.StepDigests[^1], trajectory.Outcome.FinalState.Digest());
        var openings = job.OpenAll(trajectory, withAfter: true);
        foreach (var opening in openings)
        {
            Assert.True(MerkleTree.Verify(trajectory.Outcome.MerkleRoot, opening.BeforeLeaf.Digest, opening.BeforeLeaf.Proof));
            Assert.True(MerkleTree.Verify(trajectory.Outcome.MerkleRoot, opening.AfterLeaf.Digest, opening.AfterLeaf.Proof));
            Assert.Equal(opening.BeforeLeaf.Digest, opening.Before!.Digest());
            Assert.Equal(opening.AfterLeaf.Digest, opening.After!.Digest());
        }
        var challenge = job.ChallengeAll(trajectory);
        var tree = new MerkleTree(trajectory.Outcome.StepDigests);
        Assert.True(SpotCheckVerifier.VerifyEnds(challenge, job.Start().Digest(), tree.Prove(0), trajectory.Outcome.FinalState.Digest(), tree.Prove(job.H)).IsAccepted);

        var verdict = job.Verifier.Verify(challenge, openings);
        Assert.Equal(VerdictKind.Fraud, verdict.Kind);
        Assert.Equal(Malformation.None, verdict.Malformation);
        Assert.Equal(trajectory.FakedSteps.Min(), verdict.Step);
    }

    [Fact]
    public void A_stale_worker_returns_its_input_state()
    {
        using var job = new Job("mlp");
        var trajectory = job.Run(WorkerBehavior.Stale);
        Assert.Equal(job.Start().WithStep(job.Start().Step + job.H).Digest(), trajectory.Outcome.FinalState.Digest());
        Assert.Equal(job.H, trajectory.FakedSteps.Count);
    }

    [Theory]
    [InlineData(WorkerBehavior.Lazy)]
    [InlineData(WorkerBehavior.Noisy)]
    public void Exactly_the_faked_steps_fail_when_checked_one_by_one(WorkerBehavior behavior)
    {
        using var job = new Job("mlp", innerSteps: 12);
        var trajectory = job.Run(behavior, fakeFraction: 0.25);
        Assert.Equal((int)Math.Round(0.25 * job.H), trajectory.FakedSteps.Count);

        var challenge = job.ChallengeAll(trajectory);
        var failed = new List<int>();
        foreach (var opening in job.OpenAll(trajectory))
        {
            var verdict = job.Verifier.VerifyStep(challenge, opening);
            Assert.NotEqual(VerdictKind.Malformed, verdict.Kind);
            if (verdict.Kind == VerdictKind.Fraud) failed.Add(opening.Step);
        }
        Assert.Equal(trajectory.FakedSteps.Order(), failed);

        // The fake is a function of the task alone: a rerun commits the same tree.
        Assert.Equal(trajectory.Outcome.MerkleRoot, job.Run(behavior, fakeFraction: 0.25).Outcome.MerkleRoot);
    }

    [Fact]
    public void A_lazy_worker_fakes_at_least_one_step()
    {
        using var job = new Job("mlp");
        var trajectory = job.Run(WorkerBehavior.Lazy, fakeFraction: 0);
        Assert.Single(trajectory.FakedSteps);
    }

    [Fact]
    public void A_fake_fraction_outside_0_to_1_is_refused()
    {
        using var job = new Job("mlp");
        Assert.Throws<ArgumentOutOfRangeException>(() => job.Run(WorkerBehavior.Lazy, fakeFraction: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => job.Run(WorkerBehavior.Lazy, fakeFraction: double.NaN));
    }

    [Theory]
    [InlineData(null, WorkerBehavior.Honest)]
    [InlineData("", WorkerBehavior.Honest)]
    [InlineData("honest", WorkerBehavior.Honest)]
    [InlineData("lazy", WorkerBehavior.Lazy)]
    [InlineData("Noisy", WorkerBehavior.Noisy)]
    [InlineData("STALE", WorkerBehavior.Stale)]
    [InlineData("wrong-data", WorkerBehavior.WrongData)]
    [InlineData("copycat", WorkerBehavior.Copycat)]
    [InlineData("refuser", WorkerBehavior.Refuser)]
    public void Behaviors_parse_from_their_names(string? text, WorkerBehavior expected) =>
        Assert.Equal(expected, WorkerBehaviors.Parse(text));

    [Fact]
    public void An_unknown_behavior_is_refused_with_the_valid_names()
    {
        var error = Assert.Throws<ArgumentException>(() => WorkerBehaviors.Parse("sneaky"));
        Assert.Contains("'sneaky'", error.Message);
        Assert.Contains("honest, lazy, noisy, stale, wrong-data, copycat, refuser", error.Message);
    }
}

public sealed class LocalStateEveryTests
{
    [Theory]
    [InlineData(100, 50, 5)]    // mnist-mlp: H = 100, C = 50: every 5 steps (the gcd gave 50)
    [InlineData(150, 50, 10)]   // mnist-cnn: H/16 = 10, a divisor of 50
    [InlineData(100, 7, 7)]     // C below H/16: every C
    [InlineData(64, 64, 4)]
    [InlineData(1000, 100, 50)]  // H/16 = 63: 50, 20 states
    [InlineData(10, 10, 1)]
    [InlineData(50, 25, 5)]      // H/16 gives 1: 50 states; the next divisor of C that keeps at most 32, not C
    [InlineData(1000, 997, 997)] // no divisor of C between 1 and C: C
    public void A_worker_keeps_states_at_the_largest_divisor_of_the_upload_interval_near_a_sixteenth_of_the_shard(
        int innerSteps, int checkpointEvery, int expected)
    {
        var every = ShardTrajectory.LocalStateEvery(innerSteps, checkpointEvery);
        Assert.Equal(expected, every);
        Assert.Equal(0, checkpointEvery % every);
    }
}
