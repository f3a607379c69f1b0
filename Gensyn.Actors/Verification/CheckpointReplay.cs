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
/// <see cref="Blamed"/>, its maker, with its key (<see cref="Maker"/>) and its signature as <see cref="Evidence"/>;
/// at that step <see cref="Expected"/> is the replayed digest and <see cref="Claimed"/> the checkpoint's.
/// The worker that resumed from it is never blamed: it started from what it was given.
/// </summary>
public sealed record CheckpointJudgement(VerdictOutcome Outcome, string Reason, int? Step = null,
    WorkerId? Blamed = null, string? Maker = null, string? Evidence = null, Sha256Digest? Expected = null,
    Sha256Digest? Claimed = null)
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
    /// <summary>
    /// Why checkpoint <paramref name="checkpoint"/> of job <paramref name="jobId"/> must not be resumed from (null: it
    /// may): a resume takes steps 1..c on its makers' word, so only a checkpoint whose journalled record (the last of
    /// <paramref name="lineage"/>) and those it rests on (the rest) all carry their makers' valid signatures under
    /// <paramref name="network"/> is used; one journalled before checkpoints were signed, or whose signature does not
    /// check, is not (the shard restarts from the round's start state). With no <paramref name="network"/> (the chain
    /// is not known yet) nothing can be checked.
    /// </summary>
    public static string? ResumeRefusal(JobId jobId, Sha256Digest checkpoint,
        IReadOnlyList<ShardCheckpointSaved> lineage, ClaimDomain? network)
    {
        if (lineage.Count == 0 || lineage[^1].Checkpoint != checkpoint)
            return $"checkpoint {checkpoint} carries no maker's signature (journalled before checkpoints were signed)";
        if (network is null)
            return "this coordinator does not know its chain yet, so it cannot check the checkpoint's signature";
        foreach (var saved in lineage)
        {
            var what = saved.Checkpoint == checkpoint
                ? $"checkpoint {checkpoint}"
                : $"checkpoint {saved.Checkpoint} (which {checkpoint} rests on)";
            if (saved.Maker is null || saved.Signature is null)
                return $"{what} carries no maker's signature (journalled before checkpoints were signed)";
            var check = ClaimSigner.Check(Claim(jobId, saved, network), saved.Signature, saved.Maker);
            if (!check.Valid) return $"the signature of {what} does not check ({check.Reason})";
        }
        return null;
    }

    private static CheckpointClaim Claim(JobId jobId, ShardCheckpointSaved saved, ClaimDomain network) =>
        new(jobId, saved.Round, saved.Shard, saved.Epoch, saved.WorkerId, saved.LocalStep, saved.Checkpoint, network);

    /// <summary>
    /// The route for a shard resumed at step <paramref name="resumedAt"/> (0: not resumed). The coordinator takes the
    /// <see cref="CheckpointRoute.Replay"/> route whatever the maker's session (<see cref="ResumeJudge"/>): a worker
    /// keeps the states of the shards it delivered a result for, not of one it left, so a maker has nothing to open.
    /// </summary>
    public static CheckpointRoute Route(int resumedAt, bool makerInSession) =>
        resumedAt <= 0 ? CheckpointRoute.None : makerInSession ? CheckpointRoute.Maker : CheckpointRoute.Replay;

    /// <summary>
    /// Judges checkpoint <paramref name="saved"/> of job <paramref name="jobId"/>: <paramref name="claimed"/> are the
    /// committed digests (leaves 0..c / <paramref name="commitEvery"/>, the states after local steps 0,
    /// commitEvery, ..., c) its blob carries, <paramref name="replayed"/> those a verifier computed from the round's
    /// start state; the signature is checked under <paramref name="network"/>. <paramref name="state"/>: the digest of
    /// the state the blob carries, which the resumer continued from (null: not checked); it must be the replayed
    /// step-c state too.
    /// </summary>
    public static CheckpointJudgement Judge(JobId jobId, ShardCheckpointSaved saved,
        IReadOnlyList<Sha256Digest> claimed, IReadOnlyList<Sha256Digest> replayed, ClaimDomain network,
        Sha256Digest? state = null, int commitEvery = 1)
    {
        var c = saved.LocalStep;
        var every = Math.Max(1, commitEvery);
        var leaves = c / every + 1;
        if (replayed.Count != leaves)
            return new(VerdictOutcome.Inconclusive,
                $"the verifier replayed {replayed.Count} digests for steps 0..{c}; nobody is blamed, it runs again");
        if (claimed.Count != leaves)
            return Blame(jobId, saved, network, VerdictOutcome.Invalid, null, null, null,
                $"the step-{c} checkpoint carries {claimed.Count} committed digests, not {leaves}");
        for (var leaf = 0; leaf < leaves; leaf++)
        {
            var step = leaf * every;
            if (claimed[leaf] == replayed[leaf]) continue;
            var what = step == 0 ? "its start state is not the round's" : $"step {step} does not replay";
            return Blame(jobId, saved, network, VerdictOutcome.Fraud, step, replayed[leaf], claimed[leaf],
                $"the step-{c} checkpoint is wrong: {what} (claimed {claimed[step].ToString()[..12]}, " +
                $"replayed {replayed[step].ToString()[..12]})");
        }
        if (state is { } carried && carried != replayed[^1])
            return Blame(jobId, saved, network, VerdictOutcome.Fraud, c, replayed[^1], carried,
                $"the step-{c} checkpoint is wrong: the state it carries ({carried.ToString()[..12]}) is not the " +
                $"step-{c} state its digests name (replayed {replayed[^1].ToString()[..12]})");
        return new(VerdictOutcome.Accepted, $"steps 1..{c} replay to the checkpoint from the round's start state");
    }

    private static CheckpointJudgement Blame(JobId jobId, ShardCheckpointSaved saved, ClaimDomain network,
        VerdictOutcome outcome, int? step, Sha256Digest? expected, Sha256Digest? claimed, string reason)
    {
        var signed = saved.Maker is { } maker
                     && ClaimSigner.Check(Claim(jobId, saved, network), saved.Signature, maker).Valid;
        return signed
            ? new(outcome, $"{reason}; its maker {saved.WorkerId} signed it", step, saved.WorkerId, saved.Maker,
                saved.Signature, expected, claimed)
            : new(VerdictOutcome.Inconclusive,
                $"{reason}; it carries no valid signature, so nobody is blamed and the shard runs again from the " +
                "round's start state", step);
    }
}
