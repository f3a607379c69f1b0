using Gensyn.Actors.Blobs;
using Gensyn.Actors.Jobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.Inference;
using Gensyn.Training.Models.TorchScript;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Kinds.Inference;

/// <summary>
/// The coordinator's share of an inference job: its one round (every shard starts from the weights, checked against
/// the model), the shards' predictions joined in shard order, and the predictions CSV as the result. Training thread
/// only.
/// </summary>
public sealed class InferenceCoordinator(BlobStore blobs, DataSource source) : IKindCoordinator
{
    private readonly JobSessionCache<InferenceSession> _sessions = new();

    /// <summary>The round's start: every shard starts from the model, and <c>ShardSteps</c> counts each shard's
    /// batches.</summary>
    public JobCompute.PreparedRound Prepare(JobSpec spec, int round, Sha256Digest? lastGlobal,
                                            IReadOnlyList<Sha256Digest>? lastShardEnds)
    {
        var session = Session(spec);
        // A network spec names its weights by the hash of the blob the requester uploaded; no path a requester gives
        // is opened here.
        var reference = spec.Inference!.Weights;
        var blob = Sha256Digest.Parse(DataPaths.BlobHex(reference));
        if (!blobs.Contains(blob))
            throw new InvalidOperationException(
                $"inference.weights: this coordinator does not hold blob {reference}; " +
                "submit the job again with `gensyn submit`, which uploads the weights");
        var weights = session.LoadWeights(blobs.Get(blob), $"inference.weights ({reference})");
        var shards = Enumerable.Range(0, spec.Shards).Select(session.Shard).ToList();
        if (shards.Any(s => s.Count == 0))
            throw new InvalidOperationException(
                $"inference.shards: {shards.Count} shards for {session.Items} items " +
                $"leave a shard empty; use at most {session.Items}");
        var bytes = CheckpointFile.Serialize(weights);
        var hash = blobs.Put(bytes);
        return new JobCompute.PreparedRound(0, hash, shards.Select(_ => hash).ToList(),
            shards.Select(_ => (long)bytes.Length).ToList(), shards.Select(s => s.Batches).ToList());
    }

    /// <summary>The shards' predictions, joined in shard order: the job's result, and its digest the final
    /// digest.</summary>
    public JobCompute.AggregatedRound Aggregate(JobSpec spec, int round, Sha256Digest roundGlobal,
                                                IReadOnlyList<Sha256Digest> shardEnds)
    {
        var joined = PredictionsFile.Join(shardEnds.Select(Load).ToList(), spec.BatchSize);
        var hash = blobs.Put(PredictionsFile.Serialize(joined));
        return new JobCompute.AggregatedRound(round, hash, hash);
    }

    /// <summary>
    /// A CSV with each item's label, predicted class and logits (the model file's place), the accuracy and mean
    /// cross-entropy against the labels, and the digest of the joined predictions as the final digest.
    /// </summary>
    public JobCompleted Finish(JobSpec spec, Sha256Digest finalGlobal)
    {
        var predictions = Load(finalGlobal);
        var labels = Session(spec).Labels(0, predictions.Count);
        Forget(spec);
        var csv = PredictionsCsv.Write(predictions, labels, out var accuracy, out var loss);
        return new JobCompleted(blobs.Put(csv), csv.Length, finalGlobal, accuracy, loss, null, DateTimeOffset.UtcNow);
    }

    public void Forget(JobSpec? spec = null) => _sessions.Forget(spec);

    public void Dispose() => _sessions.Dispose();

    private InferenceSession Session(JobSpec spec) =>
        _sessions.Get(spec, () => TorchScriptModules.Ensure(spec, blobs.Get), source,
            (s, data) => new InferenceSession(s, data)).Session;

    private Predictions Load(Sha256Digest hash) => PredictionsFile.Deserialize(blobs.Get(hash), $"blob {hash}");
}
