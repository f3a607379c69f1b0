using Akka.Event;
using Gensyn.Actors.Workers;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Kinds.Training;

/// <summary>
/// A worker's training shard: H steps on the training thread (progress every few steps, a checkpoint uploaded every C
/// steps), the end state kept (uploaded only in replicated mode), and the result signed with its Merkle commitment —
/// in replicated mode with its seal, which goes out first. The trajectory is kept for the challenge responder.
/// </summary>
public static class TrainingShardRunner
{
    public static async Task<CommittedShard> Run(ShardRun run, CancellationToken token)
    {
        var (compute, a, spec, clock) = (run.Compute, run.Assignment, run.Spec, run.Clock);
        var faults = compute.Options.Faults;
        var observer = new ShardProgressObserver(compute, a, spec.InnerSteps, run.Network);
        var (trajectory, prepared) = await compute.Thread.Run(() =>
        {
            var (session, trainCount) = compute.TrainingSession(a, spec);
            // Once the data is here: the challenge that follows finds its opening session ready.
            compute.PrepareOpening(a, spec);
            var ready = clock.Elapsed;
            var task = ShardTask.For(spec, a.Round, a.Shard, trainCount);
            return (faults.Train(session, task, run.Start, observer, run.Resume, token), ready);
        });
        var trained = clock.Elapsed;
        token.ThrowIfCancellationRequested();
        var outcome = trajectory.Outcome;
        var endBytes = CheckpointFile.Serialize(outcome.FinalState);
        var endHash = compute.Store.Put(endBytes);
        var replicated = spec.Verification.Mode == VerificationMode.Replicated;
        // A spot-checked result's end state stays here: the verifier's replay of the last segment rebuilds it, or a
        // challenge that cannot opens it (ChallengeAnswer). Replicas upload theirs: their proofs replay nothing.
        if (replicated) await compute.Link.UploadAsync(endHash, endBytes, token);
        token.ThrowIfCancellationRequested();
        var root = outcome.MerkleRoot;
        if (replicated) root = await faults.ReplicaRootAsync(a, root, token);
        var salt = replicated ? ReplicaSeal.NewSalt() : null;
        var result = run.Signed(new ShardResult(a.JobId, a.Round, a.Shard, a.Epoch, run.WorkerId, endHash, root,
            outcome.Losses.ToList(), "", Math.Round((trained - prepared).TotalSeconds, 3),
            salt is null ? null : Convert.ToHexStringLower(salt)));
        var fetched = run.Fetched;
        run.Log.Info($"{a.JobId} round {a.Round} shard {a.Shard} done: root {outcome.MerkleRoot} " +
                     $"(fetch {fetched.TotalMilliseconds:F0} ms, " +
                     $"data and model {(prepared - fetched).TotalMilliseconds:F0} ms, " +
                     $"train {(trained - prepared).TotalMilliseconds:F0} ms, " +
                     $"upload {(clock.Elapsed - trained).TotalMilliseconds:F0} ms)");
        return new CommittedShard(a, trajectory, new MerkleTree(outcome.StepDigests), result,
            salt is null ? null : ReplicaSeal.Seal(root, salt, run.WorkerId));
    }
}
