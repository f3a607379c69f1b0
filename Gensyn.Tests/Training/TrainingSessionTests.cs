using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using TorchSharp;

namespace Gensyn.Tests.Training;

// Bit-exact against runs in this process: alone, after the parallel tests (a thread count set meanwhile changes
// a cnn's results on some CPUs).
[Collection(Gensyn.Tests.Verification.TorchThreadCountCollection.Name)]
public class TrainingSessionTests
{
    private sealed class Recorder : IShardObserver
    {
        public List<ShardCheckpoint> Checkpoints { get; } = [];
        public void OnStep(int localStep, float loss) { }
        public void OnCheckpoint(ShardCheckpoint checkpoint) => Checkpoints.Add(checkpoint);
    }

    private static (DatasetSplits Data, TrainingSession Session) Open(JobSpec spec, string? dataDir = null)
    {
        var data = DatasetLoader.Load(spec, dataDir ?? Path.GetTempPath());
        return (data, new TrainingSession(spec, data));
    }

    public static TheoryData<string, string> Models => new()
    {
        { "{ kind: mlp, hidden: [16] }", "{ kind: adamw, lr: 0.01 }" },
        { "{ kind: mlp, hidden: [16, 8] }", "{ kind: sgd, lr: 0.1, momentum: 0.9, weight-decay: 0.001 }" },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Replaying_any_step_reproduces_its_committed_digest(string model, string optimizer)
    {
        var spec = TestSpecs.Synthetic(model, innerSteps: 10, optimizer: optimizer, checkpointEvery: 1);
        var (data, session) = Open(spec);
        using var _ = data;
        using var __ = session;
        var task = ShardTask.For(spec, round: 1, shard: 1, data.Train.Count);
        var start = session.InitialState.WithStep(10);
        var recorder = new Recorder();
        var outcome = session.RunShard(task, start, recorder);

        var states = new List<StateSnapshot> { start };
        states.AddRange(recorder.Checkpoints.Select(c => c.State));
        states.Add(outcome.FinalState);
        Assert.Equal(11, outcome.StepDigests.Count);
        for (var i = 0; i <= 10; i++) Assert.Equal(outcome.StepDigests[i], states[i].Digest());
        foreach (var step in new[] { 10, 1, 5, 7 })
            Assert.Equal(outcome.StepDigests[step], session.ReplayStep(task, states[step - 1], step).Digest());
    }

    [Fact]
    public void Replay_of_a_step_from_a_tampered_state_does_not_reproduce_the_digest()
    {
        var spec = TestSpecs.Synthetic(innerSteps: 4, checkpointEvery: 1);
        var (data, session) = Open(spec);
        using var _ = data;
        using var __ = session;
        var task = ShardTask.For(spec, 0, 0, data.Train.Count);
        var recorder = new Recorder();
        var outcome = session.RunShard(task, session.InitialState, recorder);
        var before = recorder.Checkpoints[1].State;
        var tampered = new StateSnapshot(before.Tensors.Select((t, i) => i == 0 ? t with { Values = t.Values.Select(v => v * 1.0001f).ToArray() } : t), before.Step);
        Assert.NotEqual(outcome.StepDigests[3], session.ReplayStep(task, tampered, 3).Digest());
        Assert.NotEqual(outcome.StepDigests[3], session.ReplayStep(ShardTask.For(spec, 0, 1, data.Train.Count), before, 3).Digest());
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    [InlineData("charlm")]
    public void Every_model_kind_replays_bit_identically(string kind)
    {
        using var temp = new TempDirectory();
        var spec = kind switch
        {
            "cnn" => TestSpecs.Cnn(temp.Path),
            "charlm" => TestSpecs.CharLm(temp.Path),
            _ => TestSpecs.Synthetic(innerSteps: 6, checkpointEvery: 2),
        };
        var (data, session) = Open(spec);
        using var _ = data;
        using var __ = session;
        var task = ShardTask.For(spec, 0, 0, data.Train.Count);
        var recorder = new Recorder();
        var outcome = session.RunShard(task, session.InitialState, recorder);
        var atFour = recorder.Checkpoints.Single(c => c.LocalStep == 4);
        Assert.Equal(outcome.StepDigests[5], session.ReplayStep(task, atFour.State, 5).Digest());
        Assert.True(outcome.Losses.All(float.IsFinite));
        var evaluation = session.Evaluate(outcome.FinalState);
        Assert.InRange(evaluation.Accuracy, 0, 1);
        Assert.Equal(kind == "charlm", evaluation.Perplexity is not null);
    }

    [Fact]
    public void A_session_replays_at_its_own_thread_count_after_another_jobs_session_set_another()
    {
        // One verifier thread holds the sessions of several jobs; libtorch's thread count is process-wide, and the
        // small charlm's steps differ between 1 and 2 threads (CrossClassToleranceTests).
        using var temp = new TempDirectory();
        var one = TestSpecs.CharLm(temp.Path);
        var two = one with { Training = one.RequireTraining() with { Threads = 2 } };
        using var data = DatasetLoader.Load(one, temp.Path);
        var previous = torch.get_num_threads();
        try
        {
            using var first = new TrainingSession(one, data);
            var task = ShardTask.For(one, 0, 0, data.Train.Count);
            var recorder = new Recorder();
            var outcome = first.RunShard(task, first.InitialState, recorder);
            var atFour = recorder.Checkpoints.Single(c => c.LocalStep == 4).State;

            using var second = new TrainingSession(two, data);
            Assert.NotEqual(outcome.StepDigests[5], second.ReplayStep(task, atFour, 5).Digest());
            Assert.Equal(outcome.StepDigests[5], first.ReplayStep(task, atFour, 5).Digest());
            Assert.Equal(outcome.FinalState.Digest(), first.RunShard(task, first.InitialState).FinalState.Digest());
        }
        finally { torch.set_num_threads(previous); }
    }

    [Fact]
    public void A_shard_resumed_from_its_step_c_checkpoint_reaches_the_same_final_digest_and_root()
    {
        var spec = TestSpecs.Synthetic(innerSteps: 12, checkpointEvery: 5);
        var (data, session) = Open(spec);
        using var _ = data;
        using var __ = session;
        var task = ShardTask.For(spec, 2, 0, data.Train.Count);
        var start = session.InitialState.WithStep(24);
        var recorder = new Recorder();
        var uninterrupted = session.RunShard(task, start, recorder);
        Assert.Equal([5, 10], recorder.Checkpoints.Select(c => c.LocalStep));

        using var temp = new TempDirectory();
        ShardCheckpointFile.Save(temp.File("cp.safetensors"), recorder.Checkpoints[0]);
        var fromDisk = ShardCheckpointFile.Load(temp.File("cp.safetensors"));
        // Another session (as on another worker) resumes from the checkpoint file.
        var (data2, session2) = Open(spec);
        using var ___ = data2;
        using var ____ = session2;
        var resumed = session2.RunShard(task, start, resumeFrom: fromDisk);
        Assert.Equal(uninterrupted.FinalState.Digest(), resumed.FinalState.Digest());
        Assert.Equal(uninterrupted.MerkleRoot, resumed.MerkleRoot);
        Assert.Equal(uninterrupted.StepDigests, resumed.StepDigests);
        Assert.Equal(uninterrupted.Losses, resumed.Losses);
    }

    [Fact]
    public void Checkpoints_and_the_final_state_hold_the_states_whose_digests_the_shard_committed()
    {
        var spec = TestSpecs.Synthetic(innerSteps: 12, checkpointEvery: 4);
        var (data, session) = Open(spec);
        using var _ = data;
        using var __ = session;
        var task = ShardTask.For(spec, 1, 0, data.Train.Count);
        var start = session.InitialState.WithStep(12);
        var recorder = new Recorder();
        var outcome = session.RunShard(task, start, recorder);

        Assert.Equal([4, 8], recorder.Checkpoints.Select(c => c.LocalStep));
        foreach (var checkpoint in recorder.Checkpoints)
        {
            // Hashed afresh (a new snapshot of the same values), not the digest the trainer remembered for it.
            var rehashed = new StateSnapshot(checkpoint.State.Tensors, checkpoint.State.Step).Digest();
            Assert.Equal(outcome.StepDigests[checkpoint.LocalStep], rehashed);
            Assert.Equal(rehashed, checkpoint.State.Digest());
            Assert.Equal(outcome.StepDigests.Take(checkpoint.LocalStep + 1), checkpoint.Digests);
            var replayed = session.ReplayRange(task, start, 0, checkpoint.LocalStep);
            Assert.Equal(replayed.Tensors.Select(t => t.Values), checkpoint.State.Tensors.Select(t => t.Values));
        }
        Assert.Equal(outcome.StepDigests[^1], new StateSnapshot(outcome.FinalState.Tensors, outcome.FinalState.Step).Digest());
        Assert.Equal(outcome.StepDigests[^1], outcome.FinalState.Digest());
    }

    private sealed class FailingObserver : IShardObserver
    {
        public void OnStep(int localStep, float loss) { }
        public void OnCheckpoint(ShardCheckpoint checkpoint) => throw new IOException("disk full");
    }

    [Fact]
    public async Task A_failing_checkpoint_fails_the_shard_instead_of_stalling_it()
    {
        // A checkpoint at every step: more than the digest line holds, so a digest thread that stopped taking
        // states after the first failure would leave training blocked for good.
        var spec = TestSpecs.Synthetic(innerSteps: 20, checkpointEvery: 1);
        var (data, session) = Open(spec);
        using var _ = data;
        using var __ = session;
        var task = ShardTask.For(spec, 0, 0, data.Train.Count);
        var run = Task.Run(() => session.RunShard(task, session.InitialState, new FailingObserver()));
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))) == run, "the shard stalled after a failed checkpoint");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => run);
        Assert.IsType<IOException>(error.InnerException);
    }

    [Fact]
    public void A_checkpoint_from_another_shard_is_refused_for_resume()
    {
        var spec = TestSpecs.Synthetic(innerSteps: 6, checkpointEvery: 3);
        var (data, session) = Open(spec);
        using var _ = data;
        using var __ = session;
        var recorder = new Recorder();
        session.RunShard(ShardTask.For(spec, 0, 0, data.Train.Count), session.InitialState, recorder);
        var error = Assert.Throws<ArgumentException>(() =>
            session.RunShard(ShardTask.For(spec, 0, 1, data.Train.Count), session.InitialState, resumeFrom: recorder.Checkpoints[0]));
        Assert.Contains("does not belong to round 0 shard 1", error.Message);
    }

    [Fact]
    public void The_same_spec_and_seed_give_the_same_job_digest_and_another_seed_does_not()
    {
        var a = LocalJobRunner.Run(TestSpecs.Synthetic(seed: 11), Path.GetTempPath());
        var b = LocalJobRunner.Run(TestSpecs.Synthetic(seed: 11), Path.GetTempPath());
        var c = LocalJobRunner.Run(TestSpecs.Synthetic(seed: 12), Path.GetTempPath());
        Assert.Equal(a.FinalDigest, b.FinalDigest);
        Assert.Equal(a.Rounds.Select(r => r.CheckpointDigest), b.Rounds.Select(r => r.CheckpointDigest));
        Assert.NotEqual(a.FinalDigest, c.FinalDigest);
    }

    [Fact]
    public void A_small_job_learns_the_synthetic_task()
    {
        var outcome = LocalJobRunner.Run(TestSpecs.Synthetic(rounds: 6, innerSteps: 20), Path.GetTempPath());
        Assert.True(outcome.Test.Accuracy > 0.8, $"accuracy {outcome.Test.Accuracy}");
        Assert.True(outcome.Rounds[^1].MeanLoss < outcome.Rounds[0].MeanLoss);
    }

    [Fact]
    public void The_session_pins_the_thread_count_of_the_spec()
    {
        var spec = TestSpecs.Synthetic();
        spec = spec with { Training = spec.RequireTraining() with { Threads = 1 } };
        var (data, session) = Open(spec);
        using var _ = data;
        using var __ = session;
        Assert.Equal(1, torch.get_num_threads());
    }

    [Fact]
    public void The_written_optimizers_match_torch_optim_to_float_precision()
    {
        foreach (var kind in new[] { InnerOptimizerKind.AdamW, InnerOptimizerKind.Sgd })
        {
            var optimizer = new InnerOptimizerSpec(kind, 0.01, kind == InnerOptimizerKind.Sgd ? 0.9 : 0, 0.01, 0.9, 0.999, 1e-8);
            torch.manual_seed(1);
            using var initial = torch.randn(5, 3);
            using var target = torch.randn(5, 3);
            using var ours = initial.clone().requires_grad_();
            var theirs = new TorchSharp.Modules.Parameter(initial.clone());
            using var mine = Gensyn.Training.Optimizers.InnerOptimizer.Create(optimizer, [("w", ours)]);
            torch.optim.Optimizer reference = kind == InnerOptimizerKind.AdamW
                ? torch.optim.AdamW([theirs], lr: 0.01, weight_decay: 0.01)
                : torch.optim.SGD([theirs], 0.01, momentum: 0.9, weight_decay: 0.01);
            for (var step = 1; step <= 5; step++)
            {
                ours.grad?.zero_();
                (ours - target).pow(2).sum().backward();
                mine.Step(step);
                reference.zero_grad();
                (theirs - target).pow(2).sum().backward();
                reference.step();
            }
            Assert.True(ours.allclose(theirs, rtol: 1e-5, atol: 1e-6), $"{kind} diverges from torch.optim");
        }
    }
}
