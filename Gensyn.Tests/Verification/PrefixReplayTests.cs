using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Tests.Verification;

/// <summary>A verifier's replay of a shard's first c steps reproduces the step digests an honest checkpoint carries.</summary>
public sealed class PrefixReplayTests : IDisposable
{
    private const int H = 8;
    private readonly JobSpec _spec = TestSpecs.Synthetic(innerSteps: H, checkpointEvery: 4);
    private readonly DatasetSplits _data;
    private readonly TrainingSession _session;

    public PrefixReplayTests()
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
        public void OnStep(int localStep, float loss) { }
        public void OnCheckpoint(ShardCheckpoint checkpoint) { lock (Checkpoints) Checkpoints.Add(checkpoint); }
    }

    [Fact]
    public void Replaying_from_the_rounds_start_state_reproduces_an_honest_checkpoints_step_digests()
    {
        var task = ShardTask.For(_spec, round: 1, shard: 0, _data.Train.Count);
        var start = _session.InitialState.WithStep(H);
        var recorder = new Recorder();
        _session.RunShard(task, start, recorder);
        var checkpoint = Assert.Single(recorder.Checkpoints, c => c.LocalStep == 4);

        Assert.Equal(checkpoint.Digests, PrefixReplay.Digests(_session, task, start, 4));
    }

    [Fact]
    public void A_replay_of_another_shards_steps_does_not_reproduce_the_checkpoint()
    {
        var task = ShardTask.For(_spec, round: 1, shard: 0, _data.Train.Count);
        var other = ShardTask.For(_spec, round: 1, shard: 1, _data.Train.Count);
        var start = _session.InitialState.WithStep(H);
        var recorder = new Recorder();
        _session.RunShard(task, start, recorder);
        var checkpoint = Assert.Single(recorder.Checkpoints, c => c.LocalStep == 4);

        var replayed = PrefixReplay.Digests(_session, other, start, 4);
        Assert.Equal(checkpoint.Digests[0], replayed[0]);            // same start state
        Assert.NotEqual(checkpoint.Digests[4], replayed[4]);         // other batches, other states
    }
}
