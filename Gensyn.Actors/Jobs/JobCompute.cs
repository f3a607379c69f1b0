using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.Optimizers;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Jobs;

/// <summary>
/// The coordinator's share of a job's computation, all on the node's training thread: the initial state,
/// each shard's start state, DiLoCo's outer step, and the final evaluation. The arithmetic is the same
/// code <see cref="LocalJobRunner"/> runs, which is why a distributed job ends bit-identical to `gensyn train`.
/// </summary>
public sealed class JobCompute(TrainingThread thread, BlobStore blobs, string dataDirectory)
{
    // The last job's data and session, reused from its first round to its evaluation (training thread only).
    private (JobSpec Spec, DatasetSplits Data, TrainingSession Session)? _cached;

    public sealed record PreparedRound(int Round, Sha256Digest Global, IReadOnlyList<Sha256Digest> ShardStarts, IReadOnlyList<long> Sizes);

    public sealed record AggregatedRound(int Round, Sha256Digest Global, Sha256Digest Digest);

    /// <summary>Stores round <paramref name="round"/>'s global state and each shard's start state.</summary>
    public Task<PreparedRound> PrepareRound(JobSpec spec, int round, Sha256Digest? lastGlobal, IReadOnlyList<Sha256Digest>? lastShardEnds) => thread.Run(() =>
    {
        StateSnapshot global;
        IReadOnlyList<StateSnapshot> optimizers;
        if (round == 0)
        {
            var initial = InitialState(spec);
            global = LocalJobRunner.Initial(initial);
            optimizers = Enumerable.Repeat(initial, spec.Training.Shards).ToList();
        }
        else
        {
            global = Load(lastGlobal ?? throw new InvalidOperationException("a later round needs the last global state"));
            optimizers = (lastShardEnds ?? throw new InvalidOperationException("a later round needs the last shard ends")).Select(Load).ToList();
        }
        var globalHash = blobs.Put(CheckpointFile.Serialize(global));
        var starts = new List<Sha256Digest>();
        var sizes = new List<long>();
        foreach (var optimizer in optimizers)
        {
            var bytes = CheckpointFile.Serialize(TrainingSession.ShardStart(global, optimizer, (long)round * spec.Training.InnerSteps));
            starts.Add(blobs.Put(bytes));
            sizes.Add(bytes.Length);
        }
        return new PreparedRound(round, globalHash, starts, sizes);
    });

    /// <summary>The outer step over the shards' end states, in shard order.</summary>
    public Task<AggregatedRound> Aggregate(JobSpec spec, int round, Sha256Digest roundGlobal, IReadOnlyList<Sha256Digest> shardEnds) => thread.Run(() =>
    {
        var global = Load(roundGlobal);
        var ends = shardEnds.Select(Load).ToList();
        var o = spec.Training.OuterOptimizer;
        var next = OuterOptimizer.Apply(global, ends, o.LearningRate, o.Momentum, round + 1);
        return new AggregatedRound(round, blobs.Put(CheckpointFile.Serialize(next)), next.Digest());
    });

    /// <summary>Evaluates the final state on the test set and stores the PyTorch-loadable model.</summary>
    public Task<JobCompleted> Finish(JobSpec spec, string jobId, Sha256Digest finalGlobal) => thread.Run(() =>
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
        return new JobCompleted(blobs.Put(model), model.Length, digest, test.Accuracy, test.Loss, test.Perplexity, DateTimeOffset.UtcNow);
    });

    private StateSnapshot InitialState(JobSpec spec) => Session(spec).InitialState;

    private TrainingSession Session(JobSpec spec)
    {
        if (_cached is { } c && c.Spec == spec) return c.Session;
        Forget(null);
        var data = DatasetLoader.Load(spec, dataDirectory);
        _cached = (spec, data, new TrainingSession(spec, data));
        return _cached.Value.Session;
    }

    /// <summary>Drops the cached session (of <paramref name="spec"/> only, when given).</summary>
    private void Forget(JobSpec? spec)
    {
        if (_cached is not { } c || (spec is not null && c.Spec != spec)) return;
        c.Session.Dispose();
        c.Data.Dispose();
        _cached = null;
    }

    private StateSnapshot Load(Sha256Digest hash) => CheckpointFile.Deserialize(blobs.Get(hash), $"blob {hash}").State;
}
