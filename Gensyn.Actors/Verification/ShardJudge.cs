using System.Diagnostics;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Verification;

/// <summary>
/// Judges one worker's answer to a spot-check, with no actors in it: the leaf of every challenged step must carry
/// the worker's signature over (step, digest, root); the proofs for leaves 0 and H must tie the committed root to the
/// assigned start state and the delivered end state; each challenged step is replayed from the opened state
/// before it (a run of consecutive steps from the state before its first one) and compared with the committed state
/// after it — bit for bit, or within the tolerance when the worker is of another numeric class. A worker's malformed
/// input never throws: it becomes an <see cref="VerdictOutcome.Invalid"/> verdict with a one-line reason.
/// </summary>
public static class ShardJudge
{
    /// <summary>
    /// Judges <paramref name="request"/> with <paramref name="session"/> (the job's, on its training thread); states
    /// come from <paramref name="blob"/>, the start state through <paramref name="starts"/> when given (read once per
    /// round, not once per result).
    /// </summary>
    public static ShardVerdict Judge(VerifyShard request, TrainingSession session, long trainingExamples,
        Func<Sha256Digest, byte[]> blob, double tolerance, StartStates? starts = null,
        Func<byte[], Sha256Digest>? keep = null)
    {
        var clock = Stopwatch.StartNew();
        ShardVerdict Verdict(VerdictOutcome outcome, string reason, int? step = null, Sha256Digest? expected = null, Sha256Digest? claimed = null,
                             string? signature = null, double? error = null) =>
            new(request.JobId, request.Round, request.Shard, request.Epoch, request.WorkerId, outcome, reason, step, expected, claimed, signature, error,
                clock.Elapsed.TotalSeconds);
        try
        {
            ShardTask task;
            StateSnapshot start;
            try
            {
                var spec = Blobs.SpecBlobs.Read(request.Spec, blob);
                task = ShardTask.For(spec, request.Round, request.Shard, trainingExamples);
                start = starts?.Get(request.StartState, blob)
                        ?? CheckpointFile.Deserialize(blob(request.StartState), "the assigned start state").State;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return Verdict(VerdictOutcome.Inconclusive, $"the verifier could not load the job or its own start state: {e.Message}");
            }
            var h = task.Segments;
            var leaves = new Dictionary<int, OpenedLeaf>();
            foreach (var leaf in request.Leaves)
            {
                if (leaf?.Proof?.Siblings is null) return Verdict(VerdictOutcome.Invalid, "an opened leaf or its proof is missing");
                if (leaf.Leaf < 0 || leaf.Leaf > h) return Verdict(VerdictOutcome.Invalid, $"leaf {leaf.Leaf} is outside the shard's leaves 0..{h}");
                if (!leaves.TryAdd(leaf.Leaf, leaf)) return Verdict(VerdictOutcome.Invalid, $"leaf {leaf.Leaf} was opened twice");
            }
            foreach (var step in request.Steps)
            {
                if (!leaves.TryGetValue(step, out var after)) continue;
                var claim = new OpeningClaim(request.JobId, request.Round, request.Shard, request.Epoch, request.WorkerId, step, after.Digest, request.Root, request.Network);
                var check = ClaimSigner.Check(claim, after.Signature, request.WorkerAddress);
                if (!check.Valid) return Verdict(VerdictOutcome.Invalid, $"step {step}: the opening is not signed by the worker's key ({check.Reason})");
            }

            // An end state the worker did not upload is rebuilt by a bit-for-bit replay of the last segment.
            var rebuild = request.EndFromReplay;
            if (rebuild && (request.CrossClass || request.PossessionOnly || !request.Steps.Contains(h)))
                return Verdict(VerdictOutcome.Invalid,
                    $"its result names end state {request.EndState}, which it never uploaded");
            var endDigest = rebuild
                ? leaves.TryGetValue(h, out var lastLeaf) ? lastLeaf.Digest : default
                : Load(blob, request.EndState, "the delivered end state").Digest();
            var challenge = new SpotCheckChallenge(task, request.Root, request.Steps, start.Step);
            var ends = SpotCheckVerifier.VerifyEnds(challenge, start.Digest(), Proof(leaves, 0), endDigest,
                Proof(leaves, h));
            if (!ends.IsAccepted) return Verdict(VerdictOutcome.Invalid, ends.Reason);

            var openings = new List<StepOpening?>();
            foreach (var step in request.Steps)
            {
                if (!leaves.TryGetValue(step - 1, out var before) || !leaves.TryGetValue(step, out var after)) continue;
                // A bit-for-bit replay of a run of consecutive steps starts each later one from its own replay.
                var chained = VerificationPolicy.Chains(request.CrossClass, request.PossessionOnly)
                              && request.Steps.Contains(step - 1);
                if (before.State is null && !chained)
                    return Verdict(VerdictOutcome.Invalid,
                        $"step {step}: the state before it (leaf {step - 1}) was not opened in full");
                var afterState = request.CrossClass && after.State is { } afterBlob ? Load(blob, afterBlob, $"the opened state after step {step}") : null;
                var beforeState = before.State is { } beforeBlob
                    ? Load(blob, beforeBlob, $"the opened state before step {step}")
                    : null;
                openings.Add(new StepOpening(step, beforeState,
                    new LeafOpening(before.Digest, ToProof(before.Proof)), new LeafOpening(after.Digest, ToProof(after.Proof)), afterState));
            }
            if (request.PossessionOnly) return Possession(request, openings, Verdict);
            var verifier = new SpotCheckVerifier(session);
            StateSnapshot? rebuilt = null;
            var verdict = request.CrossClass
                ? verifier.VerifyWithinTolerance(challenge, openings, tolerance)
                : verifier.Verify(challenge, openings, (step, state) => { if (rebuild && step == h) rebuilt = state; });
            if (verdict.Kind == VerdictKind.Accepted && rebuild && Rebuilt(request, rebuilt!, keep) is { } wrong)
                return Verdict(VerdictOutcome.Invalid, wrong);
            return verdict.Kind switch
            {
                VerdictKind.Accepted => Verdict(VerdictOutcome.Accepted, verdict.Reason, error: verdict.RelativeError),
                VerdictKind.Fraud => Verdict(VerdictOutcome.Fraud, verdict.Reason, verdict.Step, verdict.Evidence?.Expected, verdict.Evidence?.Claimed,
                    verdict.Step is { } s && leaves.TryGetValue(s, out var faked) ? faked.Signature : null, verdict.RelativeError),
                _ => Verdict(VerdictOutcome.Invalid, verdict.Reason, verdict.Step),
            };
        }
        catch (Exception e) when (e is OpeningException or Blobs.BlobException or CheckpointException)
        {
            return Verdict(VerdictOutcome.Invalid, e.Message);
        }
        catch (VerifierFaultException e)
        {
            return Verdict(VerdictOutcome.Inconclusive, e.Message);
        }
        catch (Exception e)
        {
            return Verdict(VerdictOutcome.Invalid, $"the answer could not be checked: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// For replicas whose roots agree: every challenged step must be opened, its proofs must lead to the root, and the
    /// opened state before it must hash to its leaf — the worker holds the states it committed to. Nothing is replayed.
    /// </summary>
    private static ShardVerdict Possession(VerifyShard request, List<StepOpening?> openings,
                                           Func<VerdictOutcome, string, int?, Sha256Digest?, Sha256Digest?, string?, double?, ShardVerdict> verdict)
    {
        var opened = openings.OfType<StepOpening>().ToDictionary(o => o.Step);
        foreach (var step in request.Steps)
        {
            if (!opened.TryGetValue(step, out var o)) return verdict(VerdictOutcome.Invalid, $"step {step} was not opened", step, null, null, null, null);
            if (o.BeforeLeaf.Proof.Index != step - 1 || o.AfterLeaf.Proof.Index != step
                || !MerkleTree.Verify(request.Root, o.BeforeLeaf.Digest, o.BeforeLeaf.Proof) || !MerkleTree.Verify(request.Root, o.AfterLeaf.Digest, o.AfterLeaf.Proof))
                return verdict(VerdictOutcome.Invalid, $"step {step}: the proofs do not lead to the committed root {request.Root.ToString()[..12]}", step, null, null, null, null);
            var digest = o.Before!.Digest();
            if (digest != o.BeforeLeaf.Digest)
                return verdict(VerdictOutcome.Invalid, $"step {step}: the opened state hashes to {digest.ToString()[..12]}, not to the committed leaf {o.BeforeLeaf.Digest.ToString()[..12]}", step, null, null, null, null);
        }
        return verdict(VerdictOutcome.Accepted, $"the replicas' roots agree, and this one holds the committed state{(request.Steps.Count == 1 ? "" : "s")} before step {string.Join(", ", request.Steps)}",
            null, null, null, null, null);
    }

    /// <summary>
    /// Stores the end state a replay rebuilt (its digest is the committed leaf H), unless it does not serialise to the
    /// blob the worker's signed result names: then the result is invalid, and that is what this returns.
    /// </summary>
    private static string? Rebuilt(VerifyShard request, StateSnapshot end, Func<byte[], Sha256Digest>? keep)
    {
        var bytes = CheckpointFile.Serialize(end);
        var hash = Sha256Digest.Of(bytes);
        if (hash != request.EndState)
            return $"its result names end state {request.EndState}, " +
                   $"but the committed end state it replays to is blob {hash}";
        keep?.Invoke(bytes);
        return null;
    }

    private static MerkleProof? Proof(Dictionary<int, OpenedLeaf> leaves, int index) =>
        leaves.TryGetValue(index, out var leaf) ? ToProof(leaf.Proof) : null;

    private static MerkleProof ToProof(LeafProof proof) => new(proof.Index, proof.LeafCount, proof.Siblings);

    private static StateSnapshot Load(Func<Sha256Digest, byte[]> blob, Sha256Digest hash, string what)
    {
        try
        {
            return CheckpointFile.Deserialize(blob(hash), what).State;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new OpeningException($"{what} (blob {hash.ToString()[..12]}) does not load: {e.Message}");
        }
    }

    private sealed class OpeningException(string message) : Exception(message);
}
