using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Actors.Verification;

/// <summary>Who answers for the steps 1..c that a resumed shard took from a checkpoint made at step c.</summary>
public enum CheckpointRoute
{
    /// <summary>The shard did not resume: every step is its worker's and drawn as usual.</summary>
    None,
    /// <summary>The checkpoint's maker is still in session: it opens the drawn steps of 1..c and signs them.</summary>
    Maker,
    /// <summary>The maker is gone: a verifier replays 1..c from the round's start state.</summary>
    Replay,
}

/// <summary>
/// The verdict on a resume's steps 1..c: <see cref="Outcome"/> (Accepted, Fraud, Invalid or Inconclusive), the first
/// step that does not replay (<see cref="Step"/>), and — only when the checkpoint is wrong and signed —
/// <see cref="Blamed"/>, its maker, with its key (<see cref="Maker"/>) and its signature as <see cref="Evidence"/>.
/// The worker that resumed from it is never blamed: it started from what it was given.
/// </summary>
public sealed record CheckpointJudgement(VerdictOutcome Outcome, string Reason, int? Step = null,
    WorkerId? Blamed = null, string? Maker = null, string? Evidence = null)
{
    /// <summary>Whether the steps 1..c stand: the resumed result may be judged on its own steps.</summary>
    public bool Stands => Outcome == VerdictOutcome.Accepted;
}

/// <summary>
/// The rules that leave no step of a resumed shard undrawn: the route (<see cref="Route"/>) and the judgement of a
/// replay of steps 0..c from the round's start state against the digests the checkpoint carries
/// (<see cref="Judge"/>). A checkpoint that does not replay is its maker's fraud when its signature over the
/// <see cref="CheckpointClaim"/> checks (that signature is the evidence); an unsigned one (journalled before
/// checkpoints were signed) blames nobody, but the resumed result does not stand and the shard runs again from the
/// round's start state.
/// </summary>
public static class CheckpointReplay
{
    /// <summary>The route for a shard resumed at step <paramref name="resumedAt"/> (0: not resumed).</summary>
    public static CheckpointRoute Route(int resumedAt, bool makerInSession) =>
        resumedAt <= 0 ? CheckpointRoute.None : makerInSession ? CheckpointRoute.Maker : CheckpointRoute.Replay;

    /// <summary>
    /// Judges checkpoint <paramref name="saved"/> of job <paramref name="jobId"/>: <paramref name="claimed"/> are the
    /// step digests 0..c its blob carries, <paramref name="replayed"/> those a verifier computed from the round's
    /// start state; the signature is checked under <paramref name="network"/>.
    /// </summary>
    public static CheckpointJudgement Judge(JobId jobId, ShardCheckpointSaved saved,
        IReadOnlyList<Sha256Digest> claimed, IReadOnlyList<Sha256Digest> replayed, ClaimDomain network)
    {
        var c = saved.LocalStep;
        if (replayed.Count != c + 1)
            return new(VerdictOutcome.Inconclusive,
                $"the verifier replayed {replayed.Count} digests for steps 0..{c}; nobody is blamed, it runs again");
        if (claimed.Count != c + 1)
            return Blame(jobId, saved, network, VerdictOutcome.Invalid, null,
                $"the step-{c} checkpoint carries {claimed.Count} step digests, not {c + 1}");
        for (var step = 0; step <= c; step++)
        {
            if (claimed[step] == replayed[step]) continue;
            var what = step == 0 ? "its start state is not the round's" : $"step {step} does not replay";
            return Blame(jobId, saved, network, VerdictOutcome.Fraud, step,
                $"the step-{c} checkpoint is wrong: {what} (claimed {claimed[step].ToString()[..12]}, " +
                $"replayed {replayed[step].ToString()[..12]})");
        }
        return new(VerdictOutcome.Accepted, $"steps 1..{c} replay to the checkpoint from the round's start state");
    }

    private static CheckpointJudgement Blame(JobId jobId, ShardCheckpointSaved saved, ClaimDomain network,
        VerdictOutcome outcome, int? step, string reason)
    {
        var claim = new CheckpointClaim(jobId, saved.Round, saved.Shard, saved.Epoch, saved.WorkerId, saved.LocalStep,
            saved.Checkpoint, network);
        var signed = saved.Maker is { } maker && ClaimSigner.Check(claim, saved.Signature, maker).Valid;
        return signed
            ? new(outcome, $"{reason}; its maker {saved.WorkerId} signed it", step, saved.WorkerId, saved.Maker,
                saved.Signature)
            : new(VerdictOutcome.Inconclusive,
                $"{reason}; it carries no valid signature, so nobody is blamed and the shard runs again from the " +
                "round's start state", step);
    }
}
