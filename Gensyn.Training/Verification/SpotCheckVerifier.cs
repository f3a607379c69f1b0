using Gensyn.Contracts;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Training.Verification;

/// <summary>
/// Checks a worker's openings of the segments a spot-check challenged (see <see cref="ChallengeSampler"/>; a segment
/// is the c steps between two committed states, the step itself when c = 1). For each segment i it verifies both
/// Merkle proofs against the committed root (they must be for leaves exactly i − 1 and i of a tree of
/// <see cref="ShardTask.Segments"/> + 1 leaves), checks that the opened state before the segment hashes to the proven
/// leaf i − 1, replays the segment's steps from it with the job's <see cref="TrainingSession"/>
/// (<see cref="TrainingSession.ReplaySegment"/>), and compares the result with the proven leaf i:
/// <list type="bullet">
/// <item><see cref="Verify"/> compares digests bit for bit — for a verifier in the worker's numeric class.</item>
/// <item><see cref="VerifyWithinTolerance"/> compares the update within a relative tolerance — for a
/// verifier in another numeric class (thread count, ISA, device), where honest results differ slightly.</item>
/// </list>
/// Nothing here throws on a worker's input: anything malformed becomes a <see cref="VerdictKind.Malformed"/>
/// verdict with a one-line reason. Uses the session, so it is not thread-safe either; replays overwrite
/// the session's live tensors.
/// </summary>
public sealed class SpotCheckVerifier
{
    private readonly TrainingSession _session;
    private readonly (string Name, long[] Shape, long Count)[] _expected;

    public SpotCheckVerifier(TrainingSession session)
    {
        _session = session;
        _expected = session.InitialState.Tensors.Select(t => (t.Name, t.Shape, t.Shape.Aggregate(1L, (a, d) => a * d))).ToArray();
    }

    /// <summary>
    /// Checks every challenged step bit for bit; the first rejection (in step order) decides. Consecutive steps are
    /// replayed as one run: a chained opening (no state before) starts from the replay of the step before it, which
    /// has just been found equal to that step's committed leaf.
    /// </summary>
    /// <param name="replayed">Told each step's replayed state that matched its committed leaf.</param>
    public SpotCheckVerdict Verify(SpotCheckChallenge challenge, IReadOnlyList<StepOpening?>? openings,
                                   Action<int, StateSnapshot>? replayed = null)
    {
        (int Step, StateSnapshot State)? last = null;
        return VerifyAll(challenge, openings, (c, opening) =>
        {
            var previous = last is { } l && l.Step == opening.Step - 1 ? l.State : null;
            var verdict = Check(c, opening, previous, out var state);
            last = state is null ? null : (opening.Step, state);
            if (state is not null) replayed?.Invoke(opening.Step, state);
            return verdict;
        }, "replay bit for bit");
    }

    /// <summary>Checks one opening bit for bit: the replayed state's digest must be the committed leaf i.</summary>
    public SpotCheckVerdict VerifyStep(SpotCheckChallenge challenge, StepOpening? opening) =>
        Check(challenge, opening, null, out _);

    /// <summary>
    /// <see cref="VerifyStep"/>, starting from <paramref name="previous"/> (the replay of the step before) when the
    /// opening is chained; <paramref name="replayed"/> is the replayed state when it matched its leaf.
    /// </summary>
    private SpotCheckVerdict Check(SpotCheckChallenge challenge, StepOpening? opening, StateSnapshot? previous,
                                   out StateSnapshot? replayed)
    {
        StateSnapshot? state = null;
        var verdict = Guarded(opening, () =>
        {
            var (prepared, failure) = Prepare(challenge, opening!, needsAfter: false, previous);
            if (failure is not null) return failure;
            var step = opening!.Step;
            state = Replay(challenge, prepared!, step);
            var digest = state.Digest();
            if (digest == opening.AfterLeaf.Digest)
                return SpotCheckVerdict.Accept($"{challenge.Name(step)} replays to its committed digest");
            state = null;
            return SpotCheckVerdict.Fraud(new FraudEvidence(step, digest, opening.AfterLeaf.Digest),
                $"{challenge.Name(step)}: replaying it from the proven state before gives {Short(digest)}, " +
                $"the worker committed {Short(opening.AfterLeaf.Digest)}");
        });
        replayed = state;
        return verdict;
    }

    /// <summary>
    /// Checks that the committed tree starts from the state the coordinator assigned (leaf 0) and ends in the
    /// state the worker delivered (leaf H). Spot-checks alone cannot see this: a worker that trained honestly
    /// from another start would pass every step. Needs only the two proofs, no state and no replay.
    /// </summary>
    public static SpotCheckVerdict VerifyEnds(SpotCheckChallenge challenge, Sha256Digest assignedStart, MerkleProof? startProof,
                                              Sha256Digest deliveredFinal, MerkleProof? finalProof)
    {
        try
        {
            var h = challenge.Segments;
            foreach (var (digest, proof, index, what) in new[] { (assignedStart, startProof, 0, "assigned start state"), (deliveredFinal, finalProof, h, "delivered final state") })
            {
                if (proof?.Siblings is null) return SpotCheckVerdict.Malformed(Malformation.Unreadable, index, $"leaf {index}: the proof is missing");
                if (proof.Index != index || proof.LeafCount != h + 1)
                    return SpotCheckVerdict.Malformed(Malformation.WrongLeaf, index, $"leaf {index}: the proof is for leaf {proof.Index} of {proof.LeafCount}, expected leaf {index} of {h + 1}");
                if (!MerkleTree.Verify(challenge.Root, digest, proof))
                    return SpotCheckVerdict.Malformed(Malformation.ForgedProof, index, $"leaf {index}: the committed root {Short(challenge.Root)} does not hold the {what} {Short(digest)} there (or the proof is forged)");
            }
            return SpotCheckVerdict.Accept($"the committed tree runs from the assigned start state to the delivered final state");
        }
        catch (Exception e)
        {
            return SpotCheckVerdict.Malformed(Malformation.Unreadable, null, $"the end proofs could not be checked: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// Checks every challenged step within <paramref name="tolerance"/> (see <see cref="VerifyStepWithinTolerance"/>);
    /// an accepted verdict carries the largest relative error seen.
    /// </summary>
    public SpotCheckVerdict VerifyWithinTolerance(SpotCheckChallenge challenge, IReadOnlyList<StepOpening?>? openings, double tolerance) =>
        VerifyAll(challenge, openings, (c, o) => VerifyStepWithinTolerance(c, o, tolerance), $"replay within the relative error tolerance {tolerance:G3}");

    /// <summary>
    /// The cross-numeric-class check of one opening, which must also open the state after the step
    /// (<see cref="StepOpening.After"/>, proven as leaf i). Step i is replayed from the state before, and
    /// the relative error of the update, ‖replayed − claimed‖ / ‖replayed − before‖, is measured separately
    /// over the parameters ("param/…") and over the optimizer buffers ("opt/…"); both must be at most
    /// <paramref name="tolerance"/>, and the step counter must match exactly. Calibrate the tolerance
    /// with <see cref="CalibrateTolerance"/>.
    /// </summary>
    public SpotCheckVerdict VerifyStepWithinTolerance(SpotCheckChallenge challenge, StepOpening? opening, double tolerance) => Guarded(opening, () =>
    {
        if (!(tolerance >= 0)) return SpotCheckVerdict.Malformed(Malformation.Unreadable, opening?.Step, $"tolerance {tolerance} is not a non-negative number");
        var (before, failure) = Prepare(challenge, opening!, needsAfter: true);
        if (failure is not null) return failure;
        var step = opening!.Step;
        var after = opening.After!;
        var replayed = Replay(challenge, before!, step);
        var replayedDigest = replayed.Digest();
        if (replayedDigest == opening.AfterLeaf.Digest)
            return SpotCheckVerdict.Accept($"{challenge.Name(step)} replays to its committed digest", 0);
        var (parameters, optimizer) = RelativeUpdateError(before!, replayed, after);
        var error = Math.Max(parameters, optimizer);
        if (error <= tolerance)
            return SpotCheckVerdict.Accept($"{challenge.Name(step)} replays within relative error {error:G3} (parameters {parameters:G3}, optimizer {optimizer:G3}; tolerance {tolerance:G3})", error);
        return SpotCheckVerdict.Fraud(new FraudEvidence(step, replayedDigest, opening.AfterLeaf.Digest, error),
            $"{challenge.Name(step)}: the committed state after it is off the replayed update by relative error {error:G3} (parameters {parameters:G3}, optimizer {optimizer:G3}), over the tolerance {tolerance:G3}");
    });

    /// <summary>
    /// The relative error of a claimed update against a replayed one, ‖replayed − claimed‖ / ‖replayed − before‖
    /// (L2 norms in double), over parameters and over optimizer buffers separately. 0 when the claim equals the
    /// replay; +∞ when the replay moved nothing but the claim differs, or when the claim holds NaN/∞ where the replay does not.
    /// All three states must have the same tensors (names and value counts).
    /// </summary>
    public static (double Parameters, double Optimizer) RelativeUpdateError(StateSnapshot before, StateSnapshot replayed, StateSnapshot claimed)
    {
        double paramDiff = 0, paramUpdate = 0, optDiff = 0, optUpdate = 0;
        for (var t = 0; t < replayed.Tensors.Count; t++)
        {
            var (b, r, c) = (before.Tensors[t].Values, replayed.Tensors[t].Values, claimed.Tensors[t].Values);
            double diff = 0, update = 0;
            for (var j = 0; j < r.Length; j++)
            {
                var d = r[j] == c[j] || (float.IsNaN(r[j]) && float.IsNaN(c[j])) ? 0 : (double)r[j] - c[j];
                diff += double.IsFinite(d) ? d * d : double.PositiveInfinity;
                var u = (double)r[j] - b[j];
                update += double.IsFinite(u) ? u * u : 0;
            }
            if (replayed.Tensors[t].Name.StartsWith("param/", StringComparison.Ordinal)) { paramDiff += diff; paramUpdate += update; }
            else { optDiff += diff; optUpdate += update; }
        }
        return (Ratio(paramDiff, paramUpdate), Ratio(optDiff, optUpdate));

        static double Ratio(double diff, double update) =>
            diff == 0 ? 0 : update == 0 ? double.PositiveInfinity : Math.Sqrt(diff) / Math.Sqrt(update);
    }

    /// <summary>
    /// A tolerance for cross-class checks, from relative errors measured on honest runs: the largest one
    /// times <paramref name="margin"/>, and never below <paramref name="floor"/>.
    /// <para>
    /// How to calibrate: run honest shards of the job's configuration (model, optimizer, batch size) in
    /// one numeric class — e.g. with training.threads: 2 — keep every state, and replay each step in the
    /// verifier's class — e.g. threads: 1 — with <see cref="RelativeUpdateError"/> of the replay against the
    /// honest state after it. Those errors are pure reduction-order rounding (float32 sums split across
    /// threads). On this machine's CPU the test cnn (2 vs 1 threads) gives 0..1.1e-6 over parameters and
    /// 2e-8..1.2e-7 over optimizer buffers; parameters vary most because after − before is quantized to
    /// the parameters' ulp, so a small update of a large weight shows a large relative error. A faked step — skipped, rescaled, or
    /// perturbed by more than a tiny fraction of the update — is far above: skipping it gives error 1.
    /// The margin (default 10×) covers steps the calibration did not see; the floor keeps a calibration that
    /// happened to agree bit for bit from rejecting every honest difference.
    /// </para>
    /// </summary>
    public static double CalibrateTolerance(IEnumerable<double> honestErrors, double margin = 10, double floor = 1e-6)
    {
        var worst = 0.0;
        foreach (var e in honestErrors)
        {
            if (!double.IsFinite(e) || e < 0) throw new ArgumentException($"an honest run gave relative error {e}; it cannot calibrate a tolerance");
            worst = Math.Max(worst, e);
        }
        return Math.Max(floor, worst * margin);
    }

    private SpotCheckVerdict VerifyAll(SpotCheckChallenge challenge, IReadOnlyList<StepOpening?>? openings,
                                       Func<SpotCheckChallenge, StepOpening, SpotCheckVerdict> verifyStep, string what)
    {
        try
        {
            if (openings is null) return SpotCheckVerdict.Malformed(Malformation.Unreadable, null, "no openings were given");
            var asked = challenge.Steps.ToHashSet();
            var byStep = new SortedDictionary<int, StepOpening>();
            foreach (var opening in openings)
            {
                if (opening is null) return SpotCheckVerdict.Malformed(Malformation.Unreadable, null, "an opening is missing (null)");
                if (!asked.Contains(opening.Step))
                    return SpotCheckVerdict.Malformed(Malformation.StepNotAsked, opening.Step, $"step {opening.Step} was opened but not asked (asked: {string.Join(", ", challenge.Steps.Order())})");
                if (!byStep.TryAdd(opening.Step, opening))
                    return SpotCheckVerdict.Malformed(Malformation.DuplicateStep, opening.Step, $"step {opening.Step} was opened twice");
            }
            var missing = asked.Where(s => !byStep.ContainsKey(s)).Order().ToList();
            if (missing.Count > 0)
                return SpotCheckVerdict.Malformed(Malformation.MissingStep, missing[0], $"asked step{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)} {(missing.Count > 1 ? "were" : "was")} not opened");
            double? worst = null;
            foreach (var opening in byStep.Values)
            {
                var verdict = verifyStep(challenge, opening);
                if (!verdict.IsAccepted) return verdict;
                if (verdict.RelativeError is { } e) worst = Math.Max(worst ?? 0, e);
            }
            var largest = worst is { } w ? $" (largest {w:G3})" : "";
            return SpotCheckVerdict.Accept($"all {byStep.Count} challenged step{(byStep.Count == 1 ? "" : "s")} {what}{largest}", worst);
        }
        catch (Exception e) when (e is not VerifierFaultException)
        {
            return SpotCheckVerdict.Malformed(Malformation.Unreadable, null, $"the openings could not be checked: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// Replays a step from a state that passed every check on the worker's input: a failure here is the verifier's
    /// own (its session, libtorch), never the worker's, so it surfaces as a <see cref="VerifierFaultException"/>.
    /// </summary>
    private StateSnapshot Replay(SpotCheckChallenge challenge, StateSnapshot before, int step)
    {
        try
        {
            return _session.ReplaySegment(challenge.Task, before, step);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new VerifierFaultException($"replaying {challenge.Name(step)} failed on the verifier: {e.GetType().Name}: {e.Message}", e);
        }
    }

    private static SpotCheckVerdict Guarded(StepOpening? opening, Func<SpotCheckVerdict> check)
    {
        if (opening is null) return SpotCheckVerdict.Malformed(Malformation.Unreadable, null, "the opening is missing (null)");
        try
        {
            return check();
        }
        catch (Exception e) when (e is not VerifierFaultException)
        {
            return SpotCheckVerdict.Malformed(Malformation.Unreadable, opening.Step, $"step {opening.Step}: the opening could not be checked: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>All checks before the replay; returns the state to replay from, or the rejection.</summary>
    private (StateSnapshot? Before, SpotCheckVerdict? Failure) Prepare(SpotCheckChallenge challenge, StepOpening opening, bool needsAfter,
                                                                      StateSnapshot? previous = null)
    {
        var step = opening.Step;
        var h = challenge.Segments;
        SpotCheckVerdict Fail(Malformation m, string reason) => SpotCheckVerdict.Malformed(m, step, $"{challenge.Name(step)}: {reason}");

        if (step < 1 || step > h) return (null, Fail(Malformation.StepNotAsked, $"is outside the shard's {(challenge.Task.Every == 1 ? "steps" : "segments")} 1..{h}"));
        if (!challenge.Steps.Contains(step)) return (null, Fail(Malformation.StepNotAsked, "was not asked"));
        var before = opening.Before ?? (needsAfter ? null : previous);
        if (opening.BeforeLeaf?.Proof?.Siblings is null || opening.AfterLeaf?.Proof?.Siblings is null || before is null)
            return (null, Fail(Malformation.Unreadable, "the opening lacks a state or a proof"));
        if (needsAfter && opening.After is null)
            return (null, Fail(Malformation.Unreadable, "a cross-class check needs the state after the step opened too"));

        foreach (var (leaf, index, which) in new[] { (opening.BeforeLeaf, step - 1, "before"), (opening.AfterLeaf, step, "after") })
        {
            if (leaf.Proof.Index != index)
                return (null, Fail(Malformation.WrongLeaf, $"the proof for the state {which} is for leaf {leaf.Proof.Index}, expected leaf {index}"));
            if (leaf.Proof.LeafCount != h + 1)
                return (null, Fail(Malformation.WrongLeaf, $"the proof for the state {which} is for a tree of {leaf.Proof.LeafCount} leaves, the shard commits {h + 1}"));
            if (!MerkleTree.Verify(challenge.Root, leaf.Digest, leaf.Proof))
                return (null, Fail(Malformation.ForgedProof, $"the proof for the state {which} (leaf {index}, {Short(leaf.Digest)}) does not lead to the committed root {Short(challenge.Root)}"));
        }

        if (ShapeProblem(before) is { } beforeProblem) return (null, Fail(Malformation.WrongShapes, $"the state before {beforeProblem}"));
        var beforeDigest = before.Digest();
        if (beforeDigest != opening.BeforeLeaf.Digest)
            return (null, Fail(Malformation.StateDigestMismatch, $"the opened state before hashes to {Short(beforeDigest)}, not to the proven leaf {step - 1} {Short(opening.BeforeLeaf.Digest)}"));
        var (from, to) = (challenge.Task.LeafStep(step - 1), challenge.Task.LeafStep(step));
        if (challenge.StartStep is { } start && before.Step != start + from)
            return (null, Fail(Malformation.WrongStepCounter, $"the state before carries optimizer step {before.Step}, expected {start + from}"));

        if (needsAfter)
        {
            var after = opening.After!;
            if (ShapeProblem(after) is { } afterProblem) return (null, Fail(Malformation.WrongShapes, $"the state after {afterProblem}"));
            var afterDigest = after.Digest();
            if (afterDigest != opening.AfterLeaf.Digest)
                return (null, Fail(Malformation.StateDigestMismatch, $"the opened state after hashes to {Short(afterDigest)}, not to the proven leaf {step} {Short(opening.AfterLeaf.Digest)}"));
            if (after.Step != before.Step + (to - from))
                return (null, Fail(Malformation.WrongStepCounter, $"the state after carries optimizer step {after.Step}, expected {before.Step + (to - from)}"));
        }
        return (before, null);
    }

    /// <summary>Null when the state's tensors are exactly the job's (names, shapes, value counts); else what is wrong.</summary>
    private string? ShapeProblem(StateSnapshot state)
    {
        var tensors = state.Tensors;
        if (tensors is null) return "has no tensors";
        if (tensors.Count != _expected.Length) return $"has {tensors.Count} tensors, the model has {_expected.Length}";
        for (var i = 0; i < _expected.Length; i++)
        {
            var (name, shape, count) = _expected[i];
            var t = tensors[i];
            if (t is null) return $"has a missing tensor where {name} belongs";
            if (t.Name != name) return $"has tensor '{t.Name}' where {name} belongs";
            if (t.Shape is null || !t.Shape.SequenceEqual(shape))
                return $"has {name} shaped [{string.Join(", ", t.Shape ?? [])}], the model's is [{string.Join(", ", shape)}]";
            if (t.Values is null || t.Values.Length != count)
                return $"has {t.Values?.Length ?? 0} values in {name}, its shape [{string.Join(", ", shape)}] needs {count}";
        }
        return null;
    }

    private static string Short(Sha256Digest digest) => digest.ToString()[..12];
}

/// <summary>The verifier itself failed (its session, its own data): no verdict on the worker can be drawn from it.</summary>
public sealed class VerifierFaultException(string message, Exception? inner = null) : Exception(message, inner);
