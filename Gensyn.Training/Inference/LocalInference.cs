using System.Diagnostics;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;

namespace Gensyn.Training.Inference;

/// <summary>A whole inference job's outcome: the joined predictions, their digest (the job's final digest), and the CSV a user reads.</summary>
public sealed record InferenceJobOutcome(Predictions Predictions, Sha256Digest FinalDigest, byte[] Csv, double Accuracy, double Loss, double WallSeconds);

/// <summary>
/// An inference job in one process, shard after shard, through the same <see cref="InferenceSession"/> a worker uses: the
/// same spec and weights give the same final digest here and on a cluster.
/// </summary>
public static class LocalInference
{
    public static InferenceJobOutcome Run(JobSpec spec, string dataDirectory, Action<int, int>? onBatch = null)
    {
        var clock = Stopwatch.StartNew();
        using var data = DatasetLoader.Load(spec, dataDirectory);
        using var session = new InferenceSession(spec, data);
        var weights = session.LoadWeights(spec.Inference!.Weights);
        var shards = new List<Predictions>();
        for (var shard = 0; shard < spec.Shards; shard++)
        {
            if (session.Shard(shard).Count == 0)
                throw new DatasetException($"inference.shards: {spec.Shards} shards for {session.Items} items leave a shard empty; use at most {session.Items}");
            var s = shard;
            shards.Add(session.RunShard(weights, shard, (batch, _) => onBatch?.Invoke(s, batch)).Predictions);
        }
        var joined = PredictionsFile.Join(shards, spec.BatchSize);
        var digest = Sha256Digest.Of(PredictionsFile.Serialize(joined));
        var csv = PredictionsCsv.Write(joined, session.Labels(0, joined.Count), out var accuracy, out var loss);
        return new InferenceJobOutcome(joined, digest, csv, accuracy, loss, clock.Elapsed.TotalSeconds);
    }
}
