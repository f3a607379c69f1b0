using System.Diagnostics;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.Optimizers;
using Gensyn.Training.Outer;
using Gensyn.Training.State;

namespace Gensyn.Training.Training;

/// <summary>One round's outcome: the new global checkpoint's digest, each shard's commitment, the mean training loss,
/// and the new state on the test split (null in a round the spec's <c>eval-every</c> does not evaluate).</summary>
public sealed record RoundSummary(int Round, Sha256Digest CheckpointDigest, IReadOnlyList<Sha256Digest> ShardRoots,
                                  double MeanLoss, Evaluation? Test = null);

/// <summary>A finished job: the final global state, the digest of its parameters, test metrics and the rounds.</summary>
public sealed record JobOutcome(StateSnapshot FinalState, Sha256Digest FinalDigest, Evaluation Test, IReadOnlyList<RoundSummary> Rounds, double WallSeconds);

/// <summary>Progress of a running job, reported from the training thread.</summary>
public interface IJobProgress
{
    void OnShardStep(int round, int shard, int localStep, float loss);
    void OnRoundCompleted(RoundSummary round);
}

/// <summary>
/// Runs a whole job in one process: every round, every shard in turn through the same
/// <see cref="TrainingSession"/> a worker uses, then DiLoCo's outer step. The reference that a
/// distributed run of the same spec must match bit for bit.
/// </summary>
public static class LocalJobRunner
{
    public static JobOutcome Run(JobSpec spec, string dataDirectory, IJobProgress? progress = null,
                                 string? checkpointDirectory = null, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        using var data = DatasetLoader.Load(spec, dataDirectory);
        return Run(spec, data, clock, progress, checkpointDirectory, cancellation);
    }

    /// <summary>The same, over data already opened (from files, or from packed chunks: the outcome is the
    /// same).</summary>
    public static JobOutcome Run(JobSpec spec, DatasetSplits data, IJobProgress? progress = null,
                                 string? checkpointDirectory = null, CancellationToken cancellation = default) =>
        Run(spec, data, Stopwatch.StartNew(), progress, checkpointDirectory, cancellation);

    private static JobOutcome Run(JobSpec spec, DatasetSplits data, Stopwatch clock, IJobProgress? progress,
                                  string? checkpointDirectory, CancellationToken cancellation)
    {
        using var session = new TrainingSession(spec, data);
        var t = spec.RequireTraining();
        var global = Initial(session.InitialState);
        var shardOptimizers = Enumerable.Repeat(session.InitialState, t.Shards).ToArray();
        var rounds = new List<RoundSummary>();
        using var checkpoints = checkpointDirectory is null ? null : new BackgroundCheckpointWriter(
            c => Path.Combine(checkpointDirectory, $"round{c.Round}-shard{c.Shard}.safetensors"));
        for (var round = 0; round < t.Rounds; round++)
        {
            var ends = new StateSnapshot[t.Shards];
            var roots = new Sha256Digest[t.Shards];
            double lossSum = 0;
            for (var shard = 0; shard < t.Shards; shard++)
            {
                var task = ShardTask.For(spec, round, shard, data.Train.Count);
                var start = TrainingSession.ShardStart(global, shardOptimizers[shard], (long)round * t.InnerSteps);
                var observer = new Observer(progress, round, shard, checkpoints);
                var outcome = session.RunShard(task, start, observer, cancellation: cancellation);
                ends[shard] = outcome.FinalState;
                shardOptimizers[shard] = outcome.FinalState;
                roots[shard] = outcome.MerkleRoot;
                lossSum += outcome.Losses.Average(l => (double)l);
            }
            global = OuterStep.Apply(global, ends, t.OuterOptimizer.LearningRate, t.OuterOptimizer.Momentum,
                t.OuterCompression, round + 1).Next;
            // As the coordinator does when it aggregates: evaluating reads the parameters into the model, and the next
            // shard loads its whole start state over them.
            var test = t.EvaluatesRound(round) ? session.Evaluate(global) : null;
            var summary = new RoundSummary(round, global.Digest(), roots, lossSum / t.Shards, test);
            rounds.Add(summary);
            progress?.OnRoundCompleted(summary);
        }
        // The last round is always evaluated: its figures are the job's.
        return new JobOutcome(global, FinalDigest(global), rounds[^1].Test!, rounds, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The global state before round 0: the seeded parameters, zero outer momentum, step 0.</summary>
    public static StateSnapshot Initial(StateSnapshot sessionInitial) => new(
        sessionInitial.WithPrefix("param/").SelectMany(p => new[]
        {
            p,
            new StateTensor(OuterOptimizer.MomentumPrefix + p.Name, p.Shape, new float[p.Values.Length]),
        }), 0);

    /// <summary>A job's final digest: the digest of its final parameters alone (step = rounds completed).</summary>
    public static Sha256Digest FinalDigest(StateSnapshot global) =>
        new StateSnapshot(global.WithPrefix("param/"), global.Step).Digest();

    private sealed class Observer(IJobProgress? progress, int round, int shard, IShardObserver? checkpoints) : IShardObserver
    {
        public void OnStep(int localStep, float loss) => progress?.OnShardStep(round, shard, localStep, loss);

        public void OnCheckpoint(ShardCheckpoint checkpoint) => checkpoints?.OnCheckpoint(checkpoint);
    }
}
