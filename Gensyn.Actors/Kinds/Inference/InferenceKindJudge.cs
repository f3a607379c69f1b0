using Gensyn.Actors.Blobs;
using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Inference;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Kinds.Inference;

/// <summary>
/// A verifier's judge of inference shards: <see cref="InferenceJudge"/> over the job's model and items, kept while
/// consecutive requests belong to the same job (training thread only).
/// </summary>
public sealed class InferenceKindJudge(string dataDirectory) : IKindJudge
{
    private readonly JobSessionCache<InferenceSession> _sessions = new();

    public ShardVerdict Judge(VerifyShard request, Func<Sha256Digest, byte[]> blob, double tolerance)
    {
        var session = _sessions.Get(SpecRef.SessionKey(request.Spec, request.BaseDirectory),
            () => SpecBlobs.Read(request.Spec, blob), dataDirectory,
            (spec, data) => new InferenceSession(spec, data)).Session;
        return InferenceJudge.Judge(request, session, blob, tolerance);
    }

    public void Dispose() => _sessions.Dispose();
}
