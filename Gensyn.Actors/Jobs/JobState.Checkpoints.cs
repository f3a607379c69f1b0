using Gensyn.Actors.Shards;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

public sealed partial record JobState
{
    /// <summary>
    /// A verdict on the signed checkpoint a shard's current worker resumed from: journalled as the checkpoint maker's
    /// <see cref="ShardVerified"/> (its worker id, epoch and key, the checkpoint as the result and the maker's
    /// signature as the evidence), so the maker is excluded, slashed for fraud and reported to the conviction board
    /// like any judged worker; the shard drops its checkpoint; the resumer is released without blame (its steps were
    /// not judged: they started from what it was given) and the shard runs again from the round's start state.
    /// </summary>
    private JobDecision JudgeCheckpoint(ShardActor.CheckpointJudged judged, JobRules rules, DateTimeOffset now)
    {
        var verdict = judged.Verdict;
        if (CheckpointVerdictRefusal(judged) is { } refusal)
            return JobDecision.None with { Warning = $"Job {JobId}: ignored a checkpoint verdict: {refusal}" };
        var saved = verdict.Checkpoint!;
        var why = verdict.Reason.Length > 500 ? verdict.Reason[..500] : verdict.Reason;
        var verified = new ShardVerified(saved.Round, saved.Shard, saved.Epoch, saved.WorkerId, saved.Maker!,
            verdict.Outcome, why, saved.Checkpoint, saved.Signature!, [.. Enumerable.Range(1, saved.LocalStep)], "",
            verdict.Step, verdict.Expected, verdict.Claimed, saved.Signature, null, 0, verdict.VerifySeconds, now,
            verdict.VerifierId, saved.Checkpoint);
        var released = new ShardReleased(Round, judged.Shard, judged.Epoch, judged.Resumer,
            $"it resumed from worker {saved.WorkerId}'s step-{saved.LocalStep} checkpoint, which does not replay; " +
            "it is not blamed, and the shard restarts from the round's start state", now, CountsAsFailure: false);
        var after = Apply(verified).Apply(released);
        var last = $"{verdict.Outcome.ToString().ToLowerInvariant()} (checkpoint of {saved.WorkerId}): {why}";
        return new JobDecision(after.FailIfExhausted([verified, released], judged.Shard, last, rules, now),
            [new ShardActor.Rejected(after.Exclusion)], [new ShardActor.Excluded(after.Exclusion)]);
    }

    /// <summary>Why a checkpoint verdict cannot be journalled (null: it can): it must blame a signed checkpoint of the
    /// open round's shard, and the worker that resumed from it must still hold the shard.</summary>
    private string? CheckpointVerdictRefusal(ShardActor.CheckpointJudged judged)
    {
        var verdict = judged.Verdict;
        if (IsTerminal || !RoundOpen) return "the job has no open round";
        if (!IsShard(judged.Shard) || Shards[judged.Shard].Done) return $"shard {judged.Shard} is not running";
        if (!Shards[judged.Shard].Live.TryGetValue(judged.Epoch, out var live) || live != judged.Resumer)
            return $"epoch {judged.Epoch} of worker {judged.Resumer} is fenced out";
        if (verdict.Outcome is not (VerdictOutcome.Fraud or VerdictOutcome.Invalid))
            return $"a {verdict.Outcome} verdict blames nobody";
        if (verdict.Checkpoint is not { } saved || saved.Round != Round || saved.Shard != judged.Shard)
            return "it names no checkpoint of this shard";
        return string.IsNullOrEmpty(saved.Maker) || string.IsNullOrEmpty(saved.Signature)
            ? $"checkpoint {saved.Checkpoint} carries no signature, so it blames nobody"
            : null;
    }
}
