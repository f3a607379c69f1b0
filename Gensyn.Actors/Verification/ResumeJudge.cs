using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Verification;

/// <summary>
/// Judges a training shard's answer so that no step escapes the draw: a worker that resumed from a signed step-c
/// checkpoint (the last of <see cref="VerifyShard.ResumedFrom"/>) ran only steps c+1..H, so before its own steps are
/// judged (<see cref="ShardJudge"/>) the verifier replays steps 1..c from the round's start state
/// (<see cref="PrefixReplay"/>) and compares them with the step digests and the state each checkpoint of the lineage
/// carries (<see cref="CheckpointReplay.Judge"/>), earliest first: a worker that resumed from an earlier worker's
/// checkpoint and checkpointed in turn carries the earlier steps in its own checkpoint, but it is blamed only when
/// its own checkpoint is wrong where the earlier one is not. The first checkpoint that does not replay gives a verdict
/// on that checkpoint (<see cref="ShardVerdict.Checkpoint"/>) that blames its maker, with its signature as the
/// evidence, never the resumer. The steps 1..c are always replayed here, by the verifier: a maker is never asked to
/// open them.
/// </summary>
public static class ResumeJudge
{
    /// <summary>Judges <paramref name="request"/> with <paramref name="session"/> (the job's, on its training thread);
    /// states and the checkpoints come from <paramref name="blob"/>, the start state through <paramref name="starts"/>
    /// when given.</summary>
    public static ShardVerdict Judge(VerifyShard request, TrainingSession session, long trainingExamples,
        Func<Sha256Digest, byte[]> blob, double tolerance, StartStates? starts = null,
        Func<byte[], Sha256Digest>? keep = null)
    {
        if (request.ResumedFrom is not { Count: > 0 } lineage || request.PossessionOnly || request.Inference)
            return ShardJudge.Judge(request, session, trainingExamples, blob, tolerance, starts, keep);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        (CheckpointJudgement Judgement, ShardCheckpointSaved Saved) prefix;
        try
        {
            prefix = Prefix(request, lineage, session, trainingExamples, blob, starts);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The coordinator checked the checkpoint's blob before the resume: failing to load or replay it here is
            // the verifier's failure, and blames nobody.
            prefix = (new(VerdictOutcome.Inconclusive,
                $"the verifier could not replay steps 1..{lineage[^1].LocalStep} to the checkpoint: {e.Message}"),
                lineage[^1]);
        }
        var (judgement, saved) = prefix;
        if (judgement.Stands)
        {
            var verdict = ShardJudge.Judge(request, session, trainingExamples, blob, tolerance, starts, keep);
            return verdict with { Reason = $"{judgement.Reason}; {verdict.Reason}" };
        }
        return new ShardVerdict(request.JobId, request.Round, request.Shard, request.Epoch, request.WorkerId,
            judgement.Outcome, judgement.Reason, judgement.Step, judgement.Expected, judgement.Claimed,
            judgement.Evidence, null, clock.Elapsed.TotalSeconds,
            Checkpoint: judgement.Blamed is null ? null : saved);
    }

    /// <summary>The judgement of the first checkpoint of <paramref name="lineage"/> that does not replay, else of the
    /// last one (which stands).</summary>
    private static (CheckpointJudgement, ShardCheckpointSaved) Prefix(VerifyShard request,
        IReadOnlyList<ShardCheckpointSaved> lineage, TrainingSession session, long trainingExamples,
        Func<Sha256Digest, byte[]> blob, StartStates? starts)
    {
        var task = ShardTask.For(SpecBlobs.Read(request.Spec, blob), request.Round, request.Shard, trainingExamples);
        var start = starts?.Get(request.StartState, blob)
                    ?? CheckpointFile.Deserialize(blob(request.StartState), "the assigned start state").State;
        var c = Math.Min(lineage.Max(saved => saved.LocalStep), task.InnerSteps);
        var replayed = PrefixReplay.Digests(session, task, start, c);
        var network = request.Network ?? Contracts.Signing.ClaimDomain.None;
        CheckpointJudgement judgement = null!;
        foreach (var saved in lineage.OrderBy(saved => saved.LocalStep))
        {
            var checkpoint = ShardCheckpointFile.Deserialize(blob(saved.Checkpoint), $"checkpoint {saved.Checkpoint}");
            var upTo = replayed.Take(Math.Min(saved.LocalStep, c) / task.Every + 1).ToList();
            judgement = CheckpointReplay.Judge(request.JobId, saved, checkpoint.Digests, upTo, network,
                checkpoint.State.Digest(), task.Every);
            if (!judgement.Stands) return (judgement, saved);
        }
        return (judgement, lineage[^1]);
    }
}
