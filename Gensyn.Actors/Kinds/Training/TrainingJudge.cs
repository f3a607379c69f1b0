using Gensyn.Actors.Blobs;
using Gensyn.Actors.Verification;
using Gensyn.Training.Data;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Models.TorchScript;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Kinds.Training;

/// <summary>
/// A verifier's judge of training shards: <see cref="ResumeJudge"/> (a resume's checkpoint, then
/// <see cref="ShardJudge"/>) over the job's session, kept while consecutive
/// requests belong to the same job, and the round start states it read (<see cref="StartStates"/>; training thread
/// only). The referee of replicated-mode disputes replays steps
/// with the same session.
/// </summary>
public sealed class TrainingJudge(DataSource source) : IKindJudge
{
    private readonly JobSessionCache<TrainingSession> _sessions = new();

    /// <summary>The round start states this judge has read (each once, not once per result).</summary>
    private readonly StartStates _starts = new();

    public ShardVerdict Judge(VerifyShard request, Func<Sha256Digest, byte[]> blob, double tolerance,
        Func<byte[], Sha256Digest>? keep = null)
    {
        var (session, examples) = Session(request.Spec, request.BaseDirectory, blob);
        return ResumeJudge.Judge(request, session, examples, blob, tolerance, _starts, keep);
    }

    /// <summary>The job's session and the size of its training set; the spec's YAML comes from
    /// <paramref name="blob"/> if this node has not read it.</summary>
    public (TrainingSession Session, long Examples) Session(SpecRef spec, string baseDirectory,
        Func<Sha256Digest, byte[]> blob)
    {
        var (session, data) = _sessions.Get(SpecRef.SessionKey(spec, baseDirectory),
            () => TorchScriptModules.Ensure(SpecBlobs.Read(spec, blob), blob),
            source, (spec, d) => new TrainingSession(spec, d));
        return (session, data.Train.Count);
    }

    /// <summary>A session used this recently is another job's at work: preparing would only evict it.</summary>
    private static readonly TimeSpan BusyWithin = TimeSpan.FromSeconds(10);

    public bool Prepare(SpecRef spec, string baseDirectory, Func<Sha256Digest, byte[]> blob)
    {
        if (_sessions.IdleFor < BusyWithin) return false;
        var (session, examples) = Session(spec, baseDirectory, blob);
        // A fresh session's first step builds libtorch's kernels and buffers, which would hold up the first result's
        // replay: one throwaway step now, from the initial state (a replay loads its own state first).
        session.ReplayStep(ShardTask.For(SpecBlobs.Read(spec, blob), 0, 0, examples), session.InitialState, 1);
        return true;
    }

    public Sha256Digest Replay(ReplayShard request, Func<Sha256Digest, byte[]> blob)
    {
        var (session, examples) = Session(request.Spec, request.BaseDirectory, blob);
        var task = ShardTask.For(SpecBlobs.Read(request.Spec, blob), request.Round, request.Shard, examples);
        var start = Gensyn.Training.Checkpoints.CheckpointFile.Deserialize(blob(request.StartState), "the start state");
        return session.RunShard(task, start.State).MerkleRoot;
    }

    public void Dispose() => _sessions.Dispose();
}
