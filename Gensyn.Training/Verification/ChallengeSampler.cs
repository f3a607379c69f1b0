using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Gensyn.Contracts;

namespace Gensyn.Training.Verification;

/// <summary>
/// Draws the k distinct inner steps (in 1..H) a spot-check asks a worker to open — the committed segments (in 1..S,
/// S = ⌈H / c⌉) when a shard commits every c steps: callers pass S as H. The draw is keyed by
/// a secret only the coordinator knows and bound to the root the worker already committed (and to the
/// job, round, shard and H), so the worker cannot predict which steps will be checked before it commits,
/// and the coordinator cannot pick another draw for the same commitment without changing its secret.
/// <para>
/// Randomness: HMAC-SHA256(secret, domain ‖ job ‖ round ‖ shard ‖ H ‖ k ‖ root ‖ block counter) used as
/// a counter-mode stream of 32-bit words; a uniform integer below n comes from rejection sampling
/// (words at or above the largest multiple of n are discarded, so there is no modulo bias). The k steps
/// are a uniform k-subset, chosen with Floyd's algorithm (k draws, no retries for duplicates).
/// </para>
/// The same inputs always give the same steps, so anyone holding the secret (revealed after the
/// check, for audit) can recompute the draw. Returned in ascending order.
/// </summary>
public static class ChallengeSampler
{
    private static readonly byte[] Domain = "gensyn/spot-check/v1"u8.ToArray();

    /// <summary>A fresh 32-byte coordinator secret.</summary>
    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(32);

    /// <summary>
    /// The steps to open: <paramref name="k"/> distinct values in 1..<paramref name="innerSteps"/>,
    /// ascending; k &gt; H gives all H steps, k = 0 none.
    /// </summary>
    public static IReadOnlyList<int> Draw(ReadOnlySpan<byte> secret, string jobId, int round, int shard,
                                          Sha256Digest committedRoot, int innerSteps, int k)
    {
        if (secret.IsEmpty) throw new ArgumentException("the challenge secret is empty", nameof(secret));
        ArgumentNullException.ThrowIfNull(jobId);
        if (innerSteps < 1) throw new ArgumentOutOfRangeException(nameof(innerSteps), $"a shard has at least one step, got {innerSteps}");
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), $"cannot draw {k} steps");
        k = Math.Min(k, innerSteps);
        if (k == innerSteps) return Enumerable.Range(1, innerSteps).ToArray();

        var stream = new Stream(secret, Context(jobId, round, shard, committedRoot, innerSteps, k));
        // Floyd: for j = H-k+1..H, draw t uniform in 1..j; take t unless already taken, else take j.
        var chosen = new HashSet<int>(k);
        for (var j = innerSteps - k + 1; j <= innerSteps; j++)
        {
            var t = 1 + (int)stream.Below((uint)j);
            chosen.Add(chosen.Contains(t) ? j : t);
        }
        var steps = chosen.ToArray();
        Array.Sort(steps);
        return steps;
    }

    private static byte[] Context(string jobId, int round, int shard, Sha256Digest root, int innerSteps, int k)
    {
        var job = Encoding.UTF8.GetBytes(jobId);
        var context = new byte[Domain.Length + 4 + job.Length + 4 * 4 + Sha256Digest.Size];
        var span = context.AsSpan();
        Domain.CopyTo(span);
        span = span[Domain.Length..];
        BinaryPrimitives.WriteInt32LittleEndian(span, job.Length);
        job.CopyTo(span[4..]);
        span = span[(4 + job.Length)..];
        BinaryPrimitives.WriteInt32LittleEndian(span, round);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], shard);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], innerSteps);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], k);
        root.WriteTo(span[16..]);
        return context;
    }

    /// <summary>HMAC-SHA256 in counter mode: block b = HMAC(secret, context ‖ b), read as little-endian u32 words.</summary>
    private sealed class Stream
    {
        private readonly byte[] _key;
        private readonly byte[] _message;
        private readonly byte[] _block = new byte[32];
        private ulong _counter;
        private int _used = 32;

        public Stream(ReadOnlySpan<byte> key, byte[] context)
        {
            _key = key.ToArray();
            _message = new byte[context.Length + 8];
            context.CopyTo(_message, 0);
        }

        private uint NextWord()
        {
            if (_used == _block.Length)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(_message.AsSpan(_message.Length - 8), _counter++);
                HMACSHA256.HashData(_key, _message, _block);
                _used = 0;
            }
            var word = BinaryPrimitives.ReadUInt32LittleEndian(_block.AsSpan(_used));
            _used += 4;
            return word;
        }

        /// <summary>Uniform in 0..n-1 (n ≥ 1), by rejection sampling.</summary>
        public uint Below(uint n)
        {
            // Largest multiple of n that fits in 2^32: accept words below it.
            var limit = (ulong)uint.MaxValue + 1 - ((ulong)uint.MaxValue + 1) % n;
            while (true)
            {
                var word = NextWord();
                if (word < limit) return word % n;
            }
        }
    }
}
