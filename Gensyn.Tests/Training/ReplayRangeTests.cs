using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Training;

public sealed class ReplayRangeTests : IDisposable
{
    private const int H = 10;
    private readonly JobSpec _spec = TestSpecs.Synthetic(innerSteps: H, checkpointEvery: 1);
    private readonly DatasetSplits _data;
    private readonly TrainingSession _session;

    public ReplayRangeTests()
    {
        _data = DatasetLoader.Load(_spec, Path.GetTempPath());
        _session = new TrainingSession(_spec, _data);
    }

    public void Dispose()
    {
        _session.Dispose();
        _data.Dispose();
    }

    private sealed class Recorder : IShardObserver
    {
        public List<ShardCheckpoint> Checkpoints { get; } = [];
        public List<(int Step, float Loss)> Steps { get; } = [];
        public void OnStep(int localStep, float loss) => Steps.Add((localStep, loss));
        public void OnCheckpoint(ShardCheckpoint checkpoint) { lock (Checkpoints) Checkpoints.Add(checkpoint); }
    }

    /// <summary>Every state 0..H of an honest shard (checkpointing every step), with its outcome.</summary>
    private (ShardTask Task, StateSnapshot[] States, ShardOutcome Outcome, Recorder Recorder) Run()
    {
        var task = ShardTask.For(_spec, round: 1, shard: 1, _data.Train.Count);
        var start = _session.InitialState.WithStep(H);
        var recorder = new Recorder();
        var outcome = _session.RunShard(task, start, recorder);
        var states = new[] { start }.Concat(recorder.Checkpoints.OrderBy(c => c.LocalStep).Select(c => c.State)).Append(outcome.FinalState).ToArray();
        Assert.Equal(H + 1, states.Length);
        return (task, states, outcome, recorder);
    }

    [Theory]
    [InlineData(0, H)]
    [InlineData(0, 1)]
    [InlineData(3, 7)]
    [InlineData(4, 4)]
    [InlineData(9, H)]
    [InlineData(2, H)]
    public void A_range_replays_to_the_state_RunShard_committed_after_its_last_step(int from, int to)
    {
        var (task, states, outcome, _) = Run();
        var replayed = _session.ReplayRange(task, states[from], from, to);
        Assert.Equal(outcome.StepDigests[to], replayed.Digest());
        Assert.Equal(states[to].Step, replayed.Step);
    }

    [Fact]
    public void A_range_reports_the_losses_RunShard_reported_for_its_steps()
    {
        var (task, states, outcome, _) = Run();
        var seen = new List<(int Step, float Loss)>();
        _session.ReplayRange(task, states[2], 2, 6, (step, loss) => seen.Add((step, loss)));
        Assert.Equal([3, 4, 5, 6], seen.Select(s => s.Step));
        Assert.Equal(outcome.Losses.Skip(2).Take(4), seen.Select(s => s.Loss));
    }

    [Fact]
    public void A_range_from_the_resume_checkpoint_reaches_the_final_state_of_the_resumed_run()
    {
        var (task, states, outcome, recorder) = Run();
        var checkpoint = recorder.Checkpoints.Single(c => c.LocalStep == 4);
        var resumed = _session.RunShard(task, states[0], resumeFrom: checkpoint);
        Assert.Equal(outcome.MerkleRoot, resumed.MerkleRoot);
        Assert.Equal(resumed.FinalState.Digest(), _session.ReplayRange(task, checkpoint.State, 4, H).Digest());
        Assert.Equal(outcome.StepDigests[7], _session.ReplayRange(task, checkpoint.State, 4, 7).Digest());
    }

    [Fact]
    public void A_single_step_range_is_ReplayStep()
    {
        var (task, states, _, _) = Run();
        Assert.Equal(_session.ReplayStep(task, states[5], 6).Digest(), _session.ReplayRange(task, states[5], 5, 6).Digest());
    }

    [Theory]
    [InlineData(-1, 2)]
    [InlineData(5, 4)]
    [InlineData(0, H + 1)]
    public void A_range_outside_the_shard_is_refused(int from, int to)
    {
        var (task, states, _, _) = Run();
        Assert.Throws<ArgumentOutOfRangeException>(() => _session.ReplayRange(task, states[0], from, to));
    }
}
