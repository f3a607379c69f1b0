using Akka.Actor;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Workers;

/// <summary>
/// Reports a running shard to its actor: progress every few steps and at least every second (the coordinator's stall
/// deadline feeds on it); each checkpoint stored locally, uploaded in the background and reported signed with the
/// worker's key for <paramref name="network"/> (a resume trusts its steps to this worker).
/// </summary>
public sealed class ShardProgressObserver(WorkerCompute compute, ShardAssignment a, int innerSteps, ClaimDomain network)
    : IShardObserver
{
    private readonly int _every = Math.Max(1, innerSteps / 20);
    private long _lastSent = Environment.TickCount64;

    public void OnStep(int localStep, float loss)
    {
        var now = Environment.TickCount64;
        if (localStep % _every != 0 && now - _lastSent < 1000) return;
        _lastSent = now;
        var worker = compute.Options.WorkerId;
        a.ShardActor.Tell(new ShardProgress(a.JobId, a.Round, a.Shard, a.Epoch, worker, localStep, loss));
    }

    public void OnCheckpoint(ShardCheckpoint checkpoint)
    {
        var bytes = ShardCheckpointFile.Serialize(checkpoint);
        var hash = compute.Store.Put(bytes);
        compute.Link.UploadAsync(hash, bytes, CancellationToken.None).ContinueWith(t =>
        {
            if (!t.IsCompletedSuccessfully) return;
            var made = new ShardCheckpointed(a.JobId, a.Round, a.Shard, a.Epoch, compute.Options.WorkerId,
                checkpoint.LocalStep, hash);
            a.ShardActor.Tell(made with
            {
                Signature = ClaimSigner.Sign(compute.Key, CheckpointClaim.From(made, network)),
            });
        });
    }
}
