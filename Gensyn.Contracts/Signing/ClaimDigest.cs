using System.Buffers.Binary;
using System.Text;
using Nethereum.Util;

namespace Gensyn.Contracts.Signing;

/// <summary>
/// The EIP-712 typed-data digest of a claim, so that any EIP-712 library (ethers <c>signTypedData</c>, a wallet's
/// <c>eth_signTypedData_v4</c>, Solidity's <c>_hashTypedDataV4</c>) computes the same hash:
/// <code>
/// digest = keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(claim))
/// hashStruct(claim) = keccak256(abi.encode(keccak256(typeString), field₁, field₂, …))
/// </code>
/// The domain is a <see cref="ClaimDomain"/> (name "Gensyn", version "1", chain id, the JobEscrow). Every field is one 32-byte
/// word: strings as <c>keccak256(bytes(s))</c> (UTF-8; text with a lone surrogate is refused), <c>bytes</c> as their keccak256,
/// unsigned integers left-padded (negative values are refused), SHA-256 digests as <c>bytes32</c>, addresses left-padded.
/// Floating-point figures are <c>uint64</c> words holding their IEEE-754 binary64 bits, so a figure signs exactly as it is sent.
/// The type strings are the <c>TypeString</c> constants of the claim records (docs/operations/security.md lists them).
/// </summary>
public static class ClaimDigest
{
    /// <summary>The 32-bit pattern every NaN loss is encoded as (JSON does not keep NaN payloads).</summary>
    public const uint CanonicalNaNBits = 0x7fc00000;

    /// <summary>The bytes of a losses array: 4 per step, the IEEE-754 binary32 bits big-endian, every NaN as 0x7fc00000.</summary>
    public static byte[] LossesBytes(IReadOnlyList<float> losses)
    {
        ArgumentNullException.ThrowIfNull(losses);
        var bytes = new byte[4 * losses.Count];
        for (var i = 0; i < losses.Count; i++)
        {
            var bits = float.IsNaN(losses[i]) ? CanonicalNaNBits : BitConverter.SingleToUInt32Bits(losses[i]);
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 * i), bits);
        }
        return bytes;
    }

    /// <summary>The EIP-712 digest of <paramref name="structHash"/> under <paramref name="domain"/>: what a key signs.</summary>
    public static byte[] TypedDataHash(ClaimDomain domain, byte[] structHash)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var buffer = new byte[2 + 32 + 32];
        buffer[0] = 0x19;
        buffer[1] = 0x01;
        domain.Separator().CopyTo(buffer, 2);
        structHash.CopyTo(buffer, 34);
        return Keccak(buffer);
    }

    /// <summary>The hash a key signs for <paramref name="claim"/>: its EIP-712 digest.</summary>
    public static byte[] SigningHash(IClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return claim.ComputeHash();
    }

    internal static byte[] Keccak(byte[] data) => Sha3Keccack.Current.CalculateHash(data);
}

/// <summary>
/// Writes <c>abi.encode(typeHash, fields…)</c> of an EIP-712 struct, one 32-byte word per field, and hashes it. Every check
/// that a field fits its type happens here, so a claim that cannot be encoded fails with the field's name.
/// </summary>
public sealed class TypedDataWriter
{
    private const int Word = 32;

    /// <summary>UTF-8 that refuses lone surrogates instead of replacing them, so distinct strings never share bytes.</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _buffer;
    private int _length;

    public TypedDataWriter(string typeString, int fields)
    {
        _buffer = new byte[(fields + 1) * Word];
        Bytes32(ClaimDigest.Keccak(Encoding.ASCII.GetBytes(typeString)));
    }

    public void Bytes32(ReadOnlySpan<byte> value)
    {
        if (value.Length != Word) throw new ArgumentException($"expected 32 bytes, got {value.Length}");
        value.CopyTo(_buffer.AsSpan(_length));
        _length += Word;
    }

    public void Digest(Sha256Digest digest)
    {
        digest.WriteTo(_buffer.AsSpan(_length, Word));
        _length += Word;
    }

    /// <summary>A <c>bytes32</c> given as 64 hex digits (with or without 0x), e.g. a SHA-256 in hex.</summary>
    public void HexBytes32(string? hex, string field)
    {
        var digits = hex is null ? "" : hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex;
        if (digits.Length != 2 * Word || !digits.All(Uri.IsHexDigit))
            throw new ArgumentException($"claim field {field} must be 64 hex digits (32 bytes)", field);
        Bytes32(Convert.FromHexString(digits));
    }

    public void String(string? value, string field)
    {
        if (value is null) throw new ArgumentNullException(field, $"claim field {field} is null");
        byte[] utf8;
        try { utf8 = StrictUtf8.GetBytes(value); }
        catch (EncoderFallbackException e) { throw new ArgumentException($"claim field {field} is not valid UTF-16 text: {e.Message}", field, e); }
        Bytes32(ClaimDigest.Keccak(utf8));
    }

    /// <summary>A dynamic <c>bytes</c> field: its keccak256.</summary>
    public void Bytes(byte[] value) => Bytes32(ClaimDigest.Keccak(value));

    public void UInt32(int value, string field)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(field, value, $"claim field {field} must not be negative (it is encoded as uint32)");
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.AsSpan(_length + Word - 8, 8), (uint)value);
        _length += Word;
    }

    public void UInt64(long value, string field)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(field, value, $"claim field {field} must not be negative (it is encoded as uint64)");
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.AsSpan(_length + Word - 8, 8), (ulong)value);
        _length += Word;
    }

    /// <summary>A <c>uint64</c> word holding the IEEE-754 binary64 bits of <paramref name="value"/>.</summary>
    public void Float64(double value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.AsSpan(_length + Word - 8, 8), BitConverter.DoubleToUInt64Bits(value));
        _length += Word;
    }

    public void Address(string? address, string field)
    {
        if (address is null || !AddressUtil.Current.IsValidEthereumAddressHexFormat(address))
            throw new ArgumentException($"claim field {field} is not an Ethereum address", field);
        Convert.FromHexString(address[2..]).CopyTo(_buffer.AsSpan(_length + Word - 20, 20));
        _length += Word;
    }

    /// <summary><c>keccak256</c> of the words written: the struct hash.</summary>
    public byte[] Hash() =>
        _length == _buffer.Length ? ClaimDigest.Keccak(_buffer) : throw new InvalidOperationException($"typed data wrote {_length} of {_buffer.Length} bytes");
}
