using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Verification;

/// <summary>
/// Judges a training shard's answer so that no step escapes the draw: a worker that resumed from a signed step-c
/// checkpoint (<see cref="VerifyShard.ResumedFrom"/>) ran only steps c+1..H, so before its own steps are judged
/// (<see cref="ShardJudge"/>) the verifier replays steps 1..c from the round's start state
/// (<see cref="PrefixReplay"/>) and compares them with the step digests and the state the checkpoint carries
/// (<see cref="CheckpointReplay.Judge"/>). A checkpoint that does not replay gives a verdict on the checkpoint
/// (<see cref="ShardVerdict.Checkpoint"/>) that blames its maker, with its signature as the evidence, never the
/// resumer. The steps 1..c are always replayed here, by the verifier: a maker is never asked to open them.
/// </summary>
public static class ResumeJudge
{
    /// <summary>Judges <paramref name="request"/> with <paramref name="session"/> (the job's, on its training thread);
    /// states and the checkpoint come from <paramref name="blob"/>.</summary>
    public static ShardVerdict Judge(VerifyShard request, TrainingSession session, long trainingExamples,
        Func<Sha256Digest, byte[]> blob, double tolerance)
    {
        if (request.ResumedFrom is not { } saved || request.PossessionOnly || request.Inference)
            return ShardJudge.Judge(request, session, trainingExamples, blob, tolerance);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        CheckpointJudgement judgement;
        try
        {
            judgement = Prefix(request, saved, session, trainingExamples, blob);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The coordinator checked the checkpoint's blob before the resume: failing to load or replay it here is
            // the verifier's failure, and blames nobody.
            judgement = new(VerdictOutcome.Inconclusive,
                $"the verifier could not replay steps 1..{saved.LocalStep} to the checkpoint: {e.Message}");
        }
        if (judgement.Stands)
        {
            var verdict = ShardJudge.Judge(request, session, trainingExamples, blob, tolerance);
            return verdict with { Reason = $"{judgement.Reason}; {verdict.Reason}" };
        }
        return new ShardVerdict(request.JobId, request.Round, request.Shard, request.Epoch, request.WorkerId,
            judgement.Outcome, judgement.Reason, judgement.Step, judgement.Expected, judgement.Claimed,
            judgement.Evidence, null, clock.Elapsed.TotalSeconds,
            Checkpoint: judgement.Blamed is null ? null : saved);
    }

    private static CheckpointJudgement Prefix(VerifyShard request, ShardCheckpointSaved saved,
        TrainingSession session, long trainingExamples, Func<Sha256Digest, byte[]> blob)
    {
        var task = ShardTask.For(SpecBlobs.Read(request.Spec, blob), request.Round, request.Shard, trainingExamples);
        var start = CheckpointFile.Deserialize(blob(request.StartState), "the assigned start state").State;
        var checkpoint = ShardCheckpointFile.Deserialize(blob(saved.Checkpoint), $"checkpoint {saved.Checkpoint}");
        var replayed = PrefixReplay.Digests(session, task, start, Math.Min(saved.LocalStep, task.InnerSteps));
        return CheckpointReplay.Judge(request.JobId, saved, checkpoint.Digests, replayed,
            request.Network ?? Contracts.Signing.ClaimDomain.None, checkpoint.State.Digest());
    }
}
