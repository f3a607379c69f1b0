using Gensyn.Actors.Blobs;
using Gensyn.Actors.Verification;
using Gensyn.Training.Data;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Inference;
using Gensyn.Training.Models.TorchScript;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Kinds.Inference;

/// <summary>
/// A verifier's judge of inference shards: <see cref="InferenceJudge"/> over the job's model and items, kept while
/// consecutive requests belong to the same job (training thread only).
/// </summary>
public sealed class InferenceKindJudge(DataSource source) : IKindJudge
{
    private readonly JobSessionCache<InferenceSession> _sessions = new();

    public ShardVerdict Judge(VerifyShard request, Func<Sha256Digest, byte[]> blob, double tolerance,
        Func<byte[], Sha256Digest>? keep = null) =>
        InferenceJudge.Judge(request, Session(request.Spec, request.BaseDirectory, blob), blob, tolerance);

    /// <summary>Every batch of the shard predicted again from the job's weights: the root of its predictions.</summary>
    public Sha256Digest Replay(ReplayShard request, Func<Sha256Digest, byte[]> blob)
    {
        var weights = CheckpointFile.Deserialize(blob(request.StartState), "the job's weights").State;
        return Session(request.Spec, request.BaseDirectory, blob).RunShard(weights, request.Shard).Root;
    }

    private InferenceSession Session(SpecRef spec, string baseDirectory, Func<Sha256Digest, byte[]> blob) =>
        _sessions.Get(SpecRef.SessionKey(spec, baseDirectory),
            () => TorchScriptModules.Ensure(SpecBlobs.Read(spec, blob), blob), source,
            (s, data) => new InferenceSession(s, data)).Session;

    public void Dispose() => _sessions.Dispose();
}
