using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Gensyn.Contracts;

namespace Gensyn.Training.Verification;

/// <summary>
/// Commit-before-reveal for replicas of one shard. Each worker first sends a seal of its root; only when both
/// replicas have sealed does the coordinator ask them to reveal their roots. A copycat that waits to see the other
/// replica's root has already sealed, so a root it copied afterwards does not open its seal — a broken commitment.
/// The seal binds the worker's id too (another worker's seal cannot be replayed as one's own), and the secret random
/// salt keeps a seal from being checked against guessed roots before the reveal.
/// Seal = SHA-256 over the domain tag "gensyn/replica-seal/v1", the root, the salt and the worker id (UTF-8),
/// each preceded by its length as a little-endian int32.
/// </summary>
public static class ReplicaSeal
{
    /// <summary>The salt length in bytes.</summary>
    public const int SaltSize = 32;

    private static readonly byte[] Tag = Encoding.UTF8.GetBytes("gensyn/replica-seal/v1");

    /// <summary>The seal of <paramref name="root"/> with <paramref name="salt"/> (<see cref="SaltSize"/> bytes) by <paramref name="workerId"/>.</summary>
    public static Sha256Digest Seal(Sha256Digest root, ReadOnlySpan<byte> salt, string workerId)
    {
        if (salt.Length != SaltSize) throw new ArgumentException($"a replica seal's salt has {SaltSize} bytes, got {salt.Length}", nameof(salt));
        ArgumentNullException.ThrowIfNull(workerId);
        var id = Encoding.UTF8.GetBytes(workerId);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, Tag);
        Append(hash, root.ToBytes());
        Append(hash, salt);
        Append(hash, id);
        return Sha256Digest.FromBytes(hash.GetHashAndReset());
    }

    /// <summary>True when <paramref name="root"/>, <paramref name="salt"/> and <paramref name="workerId"/> open <paramref name="seal"/>; false for any malformed piece.</summary>
    public static bool Opens(Sha256Digest seal, Sha256Digest root, ReadOnlySpan<byte> salt, string? workerId) =>
        salt.Length == SaltSize && workerId is not null && Seal(root, salt, workerId) == seal;

    /// <summary>A fresh random salt from the system's cryptographic generator.</summary>
    public static byte[] NewSalt() => RandomNumberGenerator.GetBytes(SaltSize);

    private static void Append(IncrementalHash hash, ReadOnlySpan<byte> field)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, field.Length);
        hash.AppendData(length);
        hash.AppendData(field);
    }
}
