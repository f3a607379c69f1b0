using Gensyn.Actors.Blobs;
using Gensyn.Actors.Jobs;
using Gensyn.Training.Data;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Models.TorchScript;
using Gensyn.Training.Optimizers;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Kinds.Training;

/// <summary>
/// The coordinator's share of a training job: the initial state, each shard's start state, DiLoCo's outer step, and
/// the final evaluation. The arithmetic is the same code <see cref="LocalJobRunner"/> runs, which is why a
/// distributed job ends bit-identical to `gensyn train`. Training thread only.
/// </summary>
public sealed class TrainingCoordinator(BlobStore blobs, DataSource source) : IKindCoordinator
{
    // The last job's data and session, reused from its first round to its evaluation.
    private readonly JobSessionCache<TrainingSession> _sessions = new();

    public JobCompute.PreparedRound Prepare(JobSpec spec, int round, Sha256Digest? lastGlobal,
                                            IReadOnlyList<Sha256Digest>? lastShardEnds)
    {
        StateSnapshot global;
        IReadOnlyList<StateSnapshot> optimizers;
        if (round == 0)
        {
            var initial = Session(spec).InitialState;
            global = LocalJobRunner.Initial(initial);
            optimizers = Enumerable.Repeat(initial, spec.Shards).ToList();
        }
        else
        {
            global = Load(lastGlobal
                          ?? throw new InvalidOperationException("a later round needs the last global state"));
            optimizers = (lastShardEnds
                          ?? throw new InvalidOperationException("a later round needs the last shard ends"))
                .Select(Load).ToList();
        }
        var globalHash = blobs.Put(CheckpointFile.Serialize(global));
        var starts = new List<Sha256Digest>();
        var sizes = new List<long>();
        foreach (var optimizer in optimizers)
        {
            var start = TrainingSession.ShardStart(global, optimizer, (long)round * spec.InnerSteps);
            var bytes = CheckpointFile.Serialize(start);
            starts.Add(blobs.Put(bytes));
            sizes.Add(bytes.Length);
        }
        return new JobCompute.PreparedRound(round, globalHash, starts, sizes);
    }

    /// <summary>The outer step over the shards' end states, in shard order.</summary>
    public JobCompute.AggregatedRound Aggregate(JobSpec spec, int round, Sha256Digest roundGlobal,
                                                IReadOnlyList<Sha256Digest> shardEnds)
    {
        var global = Load(roundGlobal);
        var ends = shardEnds.Select(Load).ToList();
        var o = spec.RequireTraining().OuterOptimizer;
        var next = OuterOptimizer.Apply(global, ends, o.LearningRate, o.Momentum, round + 1);
        return new JobCompute.AggregatedRound(round, blobs.Put(CheckpointFile.Serialize(next)), next.Digest());
    }

    /// <summary>Evaluates the final state on the test set and stores the PyTorch-loadable model.</summary>
    public JobCompleted Finish(JobSpec spec, Sha256Digest finalGlobal)
    {
        var global = Load(finalGlobal);
        var test = Session(spec).Evaluate(global);
        Forget(spec);
        var digest = LocalJobRunner.FinalDigest(global);
        var model = CheckpointFile.SerializeModel(global, new Dictionary<string, string>
        {
            ["gensyn.job"] = spec.Name,
            ["gensyn.final-digest"] = digest.ToString(),
        });
        return new JobCompleted(blobs.Put(model), model.Length, digest, test.Accuracy, test.Loss, test.Perplexity,
            DateTimeOffset.UtcNow);
    }

    public void Forget(JobSpec? spec = null) => _sessions.Forget(spec);

    public void Dispose() => _sessions.Dispose();

    private TrainingSession Session(JobSpec spec) =>
        _sessions.Get(spec, () => TorchScriptModules.Ensure(spec, blobs.Get), source,
            (s, data) => new TrainingSession(s, data)).Session;

    private StateSnapshot Load(Sha256Digest hash) =>
        CheckpointFile.Deserialize(blobs.Get(hash), $"blob {hash}").State;
}
