using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.Inference;
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
    private readonly JobSessionCache<TrainingSession> _training = new();
    private readonly JobSessionCache<InferenceSession> _inference = new();

    /// <summary>A round's start: for an inference job every shard starts from the model, and <see cref="ShardSteps"/> counts each shard's batches.</summary>
    public sealed record PreparedRound(int Round, Sha256Digest Global, IReadOnlyList<Sha256Digest> ShardStarts, IReadOnlyList<long> Sizes,
                                       IReadOnlyList<int>? ShardSteps = null);

    public sealed record AggregatedRound(int Round, Sha256Digest Global, Sha256Digest Digest);

    /// <summary>Stores round <paramref name="round"/>'s global state and each shard's start state.</summary>
    public Task<PreparedRound> PrepareRound(JobSpec spec, int round, Sha256Digest? lastGlobal, IReadOnlyList<Sha256Digest>? lastShardEnds) => thread.Run(() =>
    {
        if (spec.IsInference) return PrepareInference(spec);
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
        if (spec.IsInference)
        {
            // The shards' predictions, joined in shard order: the job's result, and its digest the final digest.
            var joined = PredictionsFile.Serialize(PredictionsFile.Join(shardEnds.Select(LoadPredictions).ToList(), spec.Training.BatchSize));
            var hash = blobs.Put(joined);
            return new AggregatedRound(round, hash, hash);
        }
        var global = Load(roundGlobal);
        var ends = shardEnds.Select(Load).ToList();
        var o = spec.Training.OuterOptimizer;
        var next = OuterOptimizer.Apply(global, ends, o.LearningRate, o.Momentum, round + 1);
        return new AggregatedRound(round, blobs.Put(CheckpointFile.Serialize(next)), next.Digest());
    });

    /// <summary>Evaluates the final state on the test set and stores the PyTorch-loadable model.</summary>
    public Task<JobCompleted> Finish(JobSpec spec, string jobId, Sha256Digest finalGlobal) => thread.Run(() =>
    {
        if (spec.IsInference) return FinishInference(spec, finalGlobal);
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

    /// <summary>An inference job's one round: every shard starts from the weights (checked against the model), and has its share of the test split's batches.</summary>
    private PreparedRound PrepareInference(JobSpec spec)
    {
        var session = Inference(spec);
        // A network spec names its weights by the hash of the blob the requester uploaded; no path a requester gives is opened here.
        var reference = spec.Inference!.Weights;
        var blob = Sha256Digest.Parse(DataPaths.BlobHex(reference));
        if (!blobs.Contains(blob))
            throw new InvalidOperationException($"inference.weights: this coordinator does not hold blob {reference}; submit the job again with `gensyn submit`, which uploads the weights");
        var weights = session.LoadWeights(blobs.Get(blob), $"inference.weights ({reference})");
        var shards = Enumerable.Range(0, spec.Training.Shards).Select(session.Shard).ToList();
        if (shards.Any(s => s.Count == 0))
            throw new InvalidOperationException($"inference.shards: {shards.Count} shards for {session.Items} items leave a shard empty; use at most {session.Items}");
        var bytes = CheckpointFile.Serialize(weights);
        var hash = blobs.Put(bytes);
        return new PreparedRound(0, hash, shards.Select(_ => hash).ToList(), shards.Select(_ => (long)bytes.Length).ToList(), shards.Select(s => s.Batches).ToList());
    }

    /// <summary>
    /// An inference job's result: a CSV with each item's label, predicted class and logits (the model file's place), the accuracy and
    /// mean cross-entropy against the labels, and the digest of the joined predictions as the final digest.
    /// </summary>
    private JobCompleted FinishInference(JobSpec spec, Sha256Digest joinedBlob)
    {
        var predictions = LoadPredictions(joinedBlob);
        var labels = Inference(spec).Labels(0, predictions.Count);
        Forget(spec);
        var csv = PredictionsCsv.Write(predictions, labels, out var accuracy, out var loss);
        return new JobCompleted(blobs.Put(csv), csv.Length, joinedBlob, accuracy, loss, null, DateTimeOffset.UtcNow);
    }

    private InferenceSession Inference(JobSpec spec)
    {
        _training.Forget();   // one job's data in memory at a time
        return _inference.Get(spec, () => spec, dataDirectory, (s, data) => new InferenceSession(s, data)).Session;
    }

    private Predictions LoadPredictions(Sha256Digest hash) => PredictionsFile.Deserialize(blobs.Get(hash), $"blob {hash}");

    private StateSnapshot InitialState(JobSpec spec) => Session(spec).InitialState;

    private TrainingSession Session(JobSpec spec)
    {
        _inference.Forget();   // one job's data in memory at a time
        return _training.Get(spec, () => spec, dataDirectory, (s, data) => new TrainingSession(s, data)).Session;
    }

    /// <summary>Drops <paramref name="spec"/>'s cached session.</summary>
    private void Forget(JobSpec spec)
    {
        _training.Forget(spec);
        _inference.Forget(spec);
    }

    private StateSnapshot Load(Sha256Digest hash) => CheckpointFile.Deserialize(blobs.Get(hash), $"blob {hash}").State;
}
