using System.Buffers.Binary;
using System.Text;
using Nethereum.Util;

namespace Gensyn.Contracts.Signing;

/// <summary>
/// The canonical, domain-separated encoding of claims, chosen so that a Solidity contract can recompute it.
/// <para>
/// Every claim hash is <c>keccak256(abi.encodePacked(...))</c> over fixed-size fields only, so the packed
/// encoding is unambiguous: strings enter as <c>keccak256(bytes(s))</c> (UTF-8), integers as big-endian
/// <c>uint32</c> (negative values are refused), SHA-256 digests as <c>bytes32</c>, and the domain tag as
/// <c>bytes32 keccak256(tag)</c> (like an EIP-712 type hash), so a claim of one kind can never pass for
/// another kind or version.
/// </para>
/// <para>Shard result (<see cref="ShardResultDomain"/>):</para>
/// <code>
/// keccak256(abi.encodePacked(
///     keccak256("gensyn/shard-result/v1"), keccak256(bytes(jobId)),
///     uint32(round), uint32(shard), uint32(epoch), keccak256(bytes(workerId)),
///     bytes32(endState), bytes32(merkleRoot), lossesHash))
/// lossesHash = keccak256(losses)   // losses: 4 bytes per step, the IEEE-754 binary32 bits big-endian,
///                                  // every NaN written as 0x7fc00000
/// </code>
/// <para>Challenge answer / opening (<see cref="OpeningDomain"/>):</para>
/// <code>
/// keccak256(abi.encodePacked(
///     keccak256("gensyn/opening/v1"), keccak256(bytes(jobId)),
///     uint32(round), uint32(shard), uint32(epoch), keccak256(bytes(workerId)),
///     uint32(step), bytes32(state), bytes32(merkleRoot)))
/// </code>
/// <para>
/// The claim hash is then signed as an EIP-191 version 0x45 ("personal_sign") message of 32 bytes:
/// <c>keccak256("\x19Ethereum Signed Message:\n32" ‖ claimHash)</c> (<see cref="EthereumSignedMessageHash"/>),
/// which is what OpenZeppelin's <c>MessageHashUtils.toEthSignedMessageHash(bytes32)</c> computes, so a
/// contract checks a claim with <c>ECDSA.recover(toEthSignedMessageHash(claimHash), signature)</c>.
/// The hash binds no chain id or contract address: job ids must be unique across deployments.
/// </para>
/// </summary>
public static class ClaimDigest
{
    public const string ShardResultDomain = "gensyn/shard-result/v1";
    public const string OpeningDomain = "gensyn/opening/v1";

    /// <summary>The 32-bit pattern every NaN loss is encoded as (JSON does not keep NaN payloads).</summary>
    public const uint CanonicalNaNBits = 0x7fc00000;

    private const int Word = 32;

    /// <summary>UTF-8 that refuses lone surrogates instead of replacing them, so distinct strings never share bytes.</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary><c>keccak256(abi.encodePacked(...))</c> of a shard result: see the class remarks.</summary>
    public static byte[] Hash(ShardResultClaim claim) => Keccak(Encode(claim));

    /// <summary><c>keccak256(abi.encodePacked(...))</c> of an opening: see the class remarks.</summary>
    public static byte[] Hash(OpeningClaim claim) => Keccak(Encode(claim));

    /// <summary>The packed bytes of a shard result claim (before the final keccak256): 6 × 32 + 3 × 4 bytes.</summary>
    public static byte[] Encode(ShardResultClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(claim.Losses, nameof(claim.Losses));
        var w = new PackedWriter(6 * Word + 3 * 4);
        w.Bytes32(Keccak(Encoding.UTF8.GetBytes(ShardResultDomain)));
        w.String(claim.JobId, nameof(claim.JobId));
        w.UInt32(claim.Round, nameof(claim.Round));
        w.UInt32(claim.Shard, nameof(claim.Shard));
        w.UInt32(claim.Epoch, nameof(claim.Epoch));
        w.String(claim.WorkerId, nameof(claim.WorkerId));
        w.Digest(claim.EndState);
        w.Digest(claim.MerkleRoot);
        w.Bytes32(LossesHash(claim.Losses));
        return w.ToArray();
    }

    /// <summary>The packed bytes of an opening claim (before the final keccak256).</summary>
    public static byte[] Encode(OpeningClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var w = new PackedWriter(5 * Word + 4 * 4);
        w.Bytes32(Keccak(Encoding.UTF8.GetBytes(OpeningDomain)));
        w.String(claim.JobId, nameof(claim.JobId));
        w.UInt32(claim.Round, nameof(claim.Round));
        w.UInt32(claim.Shard, nameof(claim.Shard));
        w.UInt32(claim.Epoch, nameof(claim.Epoch));
        w.String(claim.WorkerId, nameof(claim.WorkerId));
        w.UInt32(claim.Step, nameof(claim.Step));
        w.Digest(claim.State);
        w.Digest(claim.MerkleRoot);
        return w.ToArray();
    }

    /// <summary>keccak256 over the losses, 4 big-endian bytes (binary32 bits) each, NaN canonicalised.</summary>
    public static byte[] LossesHash(IReadOnlyList<float> losses)
    {
        ArgumentNullException.ThrowIfNull(losses);
        var bytes = new byte[4 * losses.Count];
        for (var i = 0; i < losses.Count; i++)
        {
            var bits = float.IsNaN(losses[i]) ? CanonicalNaNBits : BitConverter.SingleToUInt32Bits(losses[i]);
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 * i), bits);
        }
        return Keccak(bytes);
    }

    /// <summary>
    /// The EIP-191 (version 0x45, personal_sign) hash of <paramref name="message"/>:
    /// <c>keccak256("\x19Ethereum Signed Message:\n" ‖ len(message) in decimal ‖ message)</c>. For a claim the
    /// message is its 32-byte claim hash.
    /// </summary>
    public static byte[] EthereumSignedMessageHash(ReadOnlySpan<byte> message)
    {
        var prefix = Encoding.ASCII.GetBytes("\x19" + "Ethereum Signed Message:\n" + message.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var buffer = new byte[prefix.Length + message.Length];
        prefix.CopyTo(buffer, 0);
        message.CopyTo(buffer.AsSpan(prefix.Length));
        return Keccak(buffer);
    }

    /// <summary>The hash a worker's key actually signs for <paramref name="claim"/>: the EIP-191 hash of its claim hash.</summary>
    public static byte[] SigningHash(IClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return EthereumSignedMessageHash(claim.ComputeHash());
    }

    internal static byte[] Keccak(byte[] data) => Sha3Keccack.Current.CalculateHash(data);

    private sealed class PackedWriter(int capacity)
    {
        private readonly byte[] _buffer = new byte[capacity];
        private int _length;

        public void Bytes32(byte[] value)
        {
            if (value.Length != Word) throw new ArgumentException($"expected 32 bytes, got {value.Length}");
            value.CopyTo(_buffer, _length);
            _length += Word;
        }

        public void Digest(Sha256Digest digest)
        {
            digest.WriteTo(_buffer.AsSpan(_length, Word));
            _length += Word;
        }

        public void String(string? value, string field)
        {
            if (value is null) throw new ArgumentNullException(field, $"claim field {field} is null");
            byte[] utf8;
            try { utf8 = StrictUtf8.GetBytes(value); }
            catch (EncoderFallbackException e) { throw new ArgumentException($"claim field {field} is not valid UTF-16 text: {e.Message}", field, e); }
            Bytes32(Keccak(utf8));
        }

        public void UInt32(int value, string field)
        {
            if (value < 0) throw new ArgumentOutOfRangeException(field, value, $"claim field {field} must not be negative (it is encoded as uint32)");
            BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length, 4), (uint)value);
            _length += 4;
        }

        public byte[] ToArray() =>
            _length == _buffer.Length ? _buffer : throw new InvalidOperationException($"packed encoding wrote {_length} of {_buffer.Length} bytes");
    }
}
