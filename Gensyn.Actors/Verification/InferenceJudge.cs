using System.Diagnostics;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Inference;
using Gensyn.Training.State;

namespace Gensyn.Actors.Verification;

/// <summary>
/// Judges one inference shard result, with no actors in it. The worker delivered its predictions (every logit of the
/// shard) and signed the Merkle root over their batches; the judge checks that the delivered predictions are the
/// shard's items and hash to that root, then recomputes the challenged batches (drawn after the commitment) from the
/// model and compares: bit for bit on the verifier's numeric class, within the tolerance on another. A batch that
/// differs is fraud: the worker signed a root over logits the model does not give. A worker's malformed input never
/// throws: it becomes an <see cref="VerdictOutcome.Invalid"/> verdict with a one-line reason.
/// </summary>
public static class InferenceJudge
{
    public static ShardVerdict Judge(VerifyShard request, InferenceSession session, Func<Sha256Digest, byte[]> blob, double tolerance)
    {
        var clock = Stopwatch.StartNew();
        ShardVerdict Verdict(VerdictOutcome outcome, string reason, int? step = null, Sha256Digest? expected = null, Sha256Digest? claimed = null,
                             double? error = null) =>
            new(request.JobId, request.Round, request.Shard, request.Epoch, request.WorkerId, outcome, reason, step, expected, claimed, null, error,
                clock.Elapsed.TotalSeconds);
        StateSnapshot weights;
        InferenceShard plan;
        try
        {
            weights = CheckpointFile.Deserialize(blob(request.StartState), "the job's weights").State;
            plan = session.Shard(request.Shard);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Verdict(VerdictOutcome.Inconclusive, $"the verifier could not load the job's weights or data: {e.Message}");
        }
        Predictions predictions;
        try
        {
            predictions = PredictionsFile.Deserialize(blob(request.EndState), $"the delivered predictions (blob {request.EndState.ToString()[..12]})");
        }
        catch (Exception e) when (e is PredictionsException or Blobs.BlobException)
        {
            return Verdict(VerdictOutcome.Invalid, e.Message);
        }
        if (predictions.Shard != plan.Shard || predictions.ItemStart != plan.ItemStart || predictions.Count != plan.Count
            || predictions.BatchSize != plan.BatchSize || predictions.Classes != session.Classes)
            return Verdict(VerdictOutcome.Invalid,
                $"the delivered predictions cover shard {predictions.Shard}, items {predictions.ItemStart}+{predictions.Count} in batches of {predictions.BatchSize} with {predictions.Classes} classes; " +
                $"the shard is items {plan.ItemStart}+{plan.Count} in batches of {plan.BatchSize} with {session.Classes} classes");
        var leaves = predictions.Leaves();
        var root = Training.Verification.MerkleTree.ComputeRoot(leaves);
        if (root != request.Root)
            return Verdict(VerdictOutcome.Invalid, $"the delivered predictions hash to root {root.ToString()[..12]}, not to the committed root {request.Root.ToString()[..12]}");

        double worst = 0;
        foreach (var step in request.Steps)
        {
            var batch = step - 1;
            if (batch < 0 || batch >= plan.Batches) return Verdict(VerdictOutcome.Inconclusive, $"challenged batch {step} is outside 1..{plan.Batches}");
            var recomputed = session.BatchLogits(weights, plan.Shard, batch);
            var claimed = predictions.BatchLogits(batch);
            var expectedLeaf = PredictionsFile.Leaf(plan.Shard, batch, plan.ItemStart + predictions.BatchItems(batch).First, predictions.Classes, recomputed);
            if (!request.CrossClass)
            {
                if (expectedLeaf != leaves[batch])
                    return Verdict(VerdictOutcome.Fraud, $"batch {step}: the model's logits hash to {expectedLeaf.ToString()[..12]}, the committed ones to {leaves[batch].ToString()[..12]}",
                        step, expectedLeaf, leaves[batch]);
                continue;
            }
            var error = RelativeError(recomputed, claimed);
            worst = Math.Max(worst, error);
            if (error > tolerance)
                return Verdict(VerdictOutcome.Fraud, $"batch {step}: the committed logits differ from the model's by {error:E2} (tolerance {tolerance:E0})",
                    step, expectedLeaf, leaves[batch], error);
        }
        var how = request.CrossClass ? $"within {tolerance:E0} (largest error {worst:E2})" : "bit for bit";
        return Verdict(VerdictOutcome.Accepted,
            $"the predictions match the committed root, and {request.Steps.Count} recomputed batch(es) agree {how}: {string.Join(", ", request.Steps)}",
            error: request.CrossClass ? worst : null);
    }

    /// <summary>The largest difference between two logit vectors, relative to the largest recomputed magnitude (at least 1).</summary>
    public static double RelativeError(ReadOnlySpan<float> expected, ReadOnlySpan<float> claimed)
    {
        if (expected.Length != claimed.Length) return double.PositiveInfinity;
        double scale = 1, worst = 0;
        for (var i = 0; i < expected.Length; i++) scale = Math.Max(scale, Math.Abs(expected[i]));
        for (var i = 0; i < expected.Length; i++)
        {
            var d = Math.Abs((double)expected[i] - claimed[i]);
            if (double.IsNaN(d)) return double.PositiveInfinity;
            worst = Math.Max(worst, d);
        }
        return worst / scale;
    }
}
