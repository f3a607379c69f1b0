using Gensyn.Actors.Blobs;
using Gensyn.Actors.Jobs;
using Gensyn.Training.Data;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Models.TorchScript;
using Gensyn.Training.Outer;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Kinds.Training;

/// <summary>
/// The coordinator's share of a training job: the initial state, each shard's start state, DiLoCo's outer step, and
/// the evaluation of each round's new state on the test split. The arithmetic is the same code
/// <see cref="LocalJobRunner"/> runs, which is why a distributed job ends bit-identical to `gensyn train`. Training
/// thread only.
/// </summary>
public sealed class TrainingCoordinator(BlobStore blobs, DataSource source) : IKindCoordinator
{
    // The last job's data and session, reused from its first round to its evaluation.
    private readonly JobSessionCache<TrainingSession> _sessions = new();

    // The last round's evaluation and the global state blob it evaluated, so that the job's final figures are that
    // round's without evaluating the same state twice.
    private (Sha256Digest Global, Evaluation Test)? _evaluated;

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

    /// <summary>The outer step over the shards' end states, in shard order, and the new state on the test split (in a
    /// round the spec evaluates). Evaluating reads the state and changes nothing of it.</summary>
    public JobCompute.AggregatedRound Aggregate(JobSpec spec, int round, Sha256Digest roundGlobal,
                                                IReadOnlyList<Sha256Digest> shardEnds)
    {
        var global = Load(roundGlobal);
        var ends = shardEnds.Select(Load).ToList();
        var t = spec.RequireTraining();
        var outer = OuterStep.Apply(global, ends, t.OuterOptimizer.LearningRate, t.OuterOptimizer.Momentum,
            t.OuterCompression, round + 1);
        var next = outer.Next;
        var hash = blobs.Put(CheckpointFile.Serialize(next));
        // What a worker that trained a shard this round needs to rebuild the shard's next start state.
        var update = round + 1 < t.Rounds ? blobs.Put(outer.Update) : (Sha256Digest?)null;
        Evaluation? test = null;
        if (t.EvaluatesRound(round))
        {
            test = Session(spec).Evaluate(next);
            _evaluated = (hash, test);
        }
        return new JobCompute.AggregatedRound(round, hash, next.Digest(), test, update);
    }

    /// <summary>Evaluates the final state on the test set (the last round's evaluation when this coordinator made it:
    /// the same state gives the same figures) and stores the PyTorch-loadable model.</summary>
    public JobCompleted Finish(JobSpec spec, Sha256Digest finalGlobal)
    {
        var global = Load(finalGlobal);
        var test = _evaluated is { } e && e.Global == finalGlobal ? e.Test : Session(spec).Evaluate(global);
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

    public void Forget(JobSpec? spec = null)
    {
        _sessions.Forget(spec);
        _evaluated = null;
    }

    public void Dispose() => _sessions.Dispose();

    private TrainingSession Session(JobSpec spec) =>
        _sessions.Get(spec, () => TorchScriptModules.Ensure(spec, blobs.Get), source,
            (s, data) => new TrainingSession(s, data)).Session;

    private StateSnapshot Load(Sha256Digest hash) =>
        CheckpointFile.Deserialize(blobs.Get(hash), $"blob {hash}").State;
}
