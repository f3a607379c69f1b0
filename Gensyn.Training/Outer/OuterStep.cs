using System.Buffers.Binary;
using System.Security.Cryptography;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Optimizers;
using Gensyn.Training.State;

namespace Gensyn.Training.Outer;

/// <summary>A round's outer step: the next global state, each shard's pseudo-gradient payload (its bytes and
/// digest) and the bytes of the global update that a worker holding the round's start parameters needs
/// (<see cref="Update"/>, the blob <see cref="StartDelta"/> rebuilds the next start states from;
/// <see cref="UpdateBytes"/> counts its encoded updates without their framing).</summary>
public sealed record OuterRound(StateSnapshot Next, IReadOnlyList<OuterPayload> Shards, long UpdateBytes, byte[] Update)
{
    public long ShardBytes => Shards.Sum(s => s.Bytes);
}

/// <summary>One shard's compressed pseudo-gradient: its size and the SHA-256 of its bytes.</summary>
public sealed record OuterPayload(long Bytes, Sha256Digest Digest);

/// <summary>
/// DiLoCo's outer step with the spec's <c>outer-compression</c>. Each shard's pseudo-gradient (round start − shard
/// end, per parameter) goes through <see cref="OuterCodec"/>; with top-k, the shard's error-feedback residual (what
/// earlier rounds' payloads left out) is added first, and what this payload leaves out becomes the new residual. The
/// mean of the decoded pseudo-gradients drives the Nesterov step, and the update θ ← θ − u travels as
/// decode(encode(u)) (dense, same codec), so that a worker holding θ rebuilds the next parameters bit for bit.
/// Residuals live in the global state as <c>ef/{shard}/param/…</c>: the coordinator tracks them with the state it
/// already keeps, so a replacement worker, a verifier and `gensyn train` compute the same payload from the committed
/// end state. Everything is plain float arithmetic in a fixed order.
/// </summary>
public static class OuterStep
{
    public const string ResidualPrefix = "ef/";

    public static string Residual(int shard, string parameter) => $"{ResidualPrefix}{shard}/{parameter}";

    public static OuterRound Apply(StateSnapshot global, IReadOnlyList<StateSnapshot> shardEnds,
                                   double lr, double momentum, OuterCompressionSpec compression, long nextRound)
    {
        if (shardEnds.Count == 0) throw new ArgumentException("an outer step needs at least one shard result");
        var (kind, topK) = (compression.Kind, compression.TopK);
        var result = new List<StateTensor>();
        var payloads = shardEnds.Select(_ => new List<byte[]>()).ToArray();
        long updateBytes = 0;
        var updates = new List<byte[]>();
        foreach (var param in global.WithPrefix("param/"))
        {
            var n = param.Values.Length;
            var delta = new float[n];
            for (var s = 0; s < shardEnds.Count; s++)
            {
                var end = shardEnds[s].Find(param.Name)
                          ?? throw new ArgumentException($"a shard result lacks {param.Name}");
                if (end.Values.Length != n)
                    throw new ArgumentException($"a shard result has the wrong shape for {param.Name}");
                var pseudo = new float[n];
                for (var i = 0; i < n; i++) pseudo[i] = param.Values[i] - end.Values[i];
                if (topK > 0 && global.Find(Residual(s, param.Name))?.Values is { } carried)
                    for (var i = 0; i < n; i++) pseudo[i] += carried[i];
                var payload = OuterCodec.Encode(pseudo, kind, topK);
                payloads[s].Add(payload);
                var sent = OuterCodec.Decode(payload, n);
                if (topK > 0)
                {
                    var residual = new float[n];
                    for (var i = 0; i < n; i++) residual[i] = pseudo[i] - sent[i];
                    result.Add(new StateTensor(Residual(s, param.Name), param.Shape, residual));
                }
                for (var i = 0; i < n; i++) delta[i] += sent[i];
            }
            var count = (float)shardEnds.Count;
            var velocityOld = global.Find(OuterOptimizer.MomentumPrefix + param.Name)?.Values;
            var velocity = new float[n];
            var update = new float[n];
            var mu = (float)momentum;
            var rate = (float)lr;
            for (var i = 0; i < n; i++)
            {
                var d = delta[i] / count;
                velocity[i] = (velocityOld is null ? 0f : mu * velocityOld[i]) + d;
                update[i] = rate * (d + mu * velocity[i]);
            }
            var encodedUpdate = OuterCodec.Encode(update, kind);
            updateBytes += encodedUpdate.Length;
            updates.Add(encodedUpdate);
            if (kind != OuterCompressionKind.None) update = OuterCodec.Decode(encodedUpdate, n);
            var updated = new float[n];
            for (var i = 0; i < n; i++) updated[i] = param.Values[i] - update[i];
            result.Add(param with { Values = updated });
            result.Add(new StateTensor(OuterOptimizer.MomentumPrefix + param.Name, param.Shape, velocity));
        }
        return new OuterRound(new StateSnapshot(result, nextRound), payloads.Select(Payload).ToList(), updateBytes,
            StartDelta.Frame(updates));
    }

    /// <summary>A shard's payload over its parameters in canonical order, each tensor's bytes after their length
    /// (uint32, little-endian).</summary>
    public static OuterPayload Payload(IReadOnlyList<byte[]> tensors)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        long total = 0;
        foreach (var t in tensors)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)t.Length);
            sha.AppendData(length);
            sha.AppendData(t);
            total += 4 + t.Length;
        }
        return new OuterPayload(total, Sha256Digest.FromBytes(sha.GetHashAndReset()));
    }
}
