using System.Numerics;
using Nethereum.Signer;
using Nethereum.Util;

namespace Gensyn.Contracts.Signing;

/// <summary>The outcome of checking a claim signature: the recovered address, or why it failed.</summary>
public readonly record struct SignatureCheck(bool Valid, string? Signer, string? Reason)
{
    public static SignatureCheck Ok(string signer) => new(true, signer, null);
    public static SignatureCheck Fail(string reason, string? signer = null) => new(false, signer, reason);
    public override string ToString() => Valid ? $"valid, signed by {Signer}" : $"invalid: {Reason}";
}

/// <summary>
/// Signs claims with a <see cref="WorkerKey"/> and recovers/verifies their signer.
/// <para>
/// Scheme: EIP-712 typed data (<see cref="ClaimDigest"/>), i.e. secp256k1 ECDSA over
/// <c>keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(claim))</c> — what <c>eth_signTypedData_v4</c> signs. The signature is
/// 65 bytes <c>r ‖ s ‖ v</c>, written as <c>0x</c> and 130 lowercase hex digits, with v ∈ {27, 28} and a low s (s ≤ n/2) — exactly
/// what OpenZeppelin's <c>ECDSA.recover(_hashTypedDataV4(structHash), signature)</c> accepts, so signatures checked here are also
/// accepted on chain and vice versa. High-s (malleated) signatures, v ∉ {27, 28}, r or s outside 1..n-1 and anything not 65 bytes
/// of hex are rejected; checking never throws on a malformed signature.
/// </para>
/// </summary>
public static class ClaimSigner
{
    public const int SignatureSize = 65;

    private static readonly BigInteger HalfOrder = WorkerKey.CurveOrder / 2;

    /// <summary>Signs <paramref name="claim"/>: 65 bytes <c>r ‖ s ‖ v</c> as <c>0x</c>-prefixed lowercase hex.</summary>
    /// <exception cref="ArgumentException">The claim cannot be encoded (a null string, a negative number).</exception>
    public static string Sign(WorkerKey key, IClaim claim)
    {
        ArgumentNullException.ThrowIfNull(key);
        var hash = ClaimDigest.SigningHash(claim);
        var signature = key.EcKey.SignAndCalculateV(hash);
        var bytes = new byte[SignatureSize];
        LeftPad(signature.R, bytes.AsSpan(0, 32));
        LeftPad(signature.S, bytes.AsSpan(32, 32));
        bytes[64] = signature.V[^1];
        // Nethereum signs canonically (low s, v = 27/28); refuse to hand out anything the verifier would reject.
        if (!TryRecover(claim, "0x" + Convert.ToHexStringLower(bytes), out var signer, out var reason) ||
            !AddressUtil.Current.AreAddressesTheSame(signer, key.Address))
            throw new InvalidOperationException($"produced a signature that does not verify ({reason ?? "wrong signer"})");
        return "0x" + Convert.ToHexStringLower(bytes);
    }

    /// <summary>The checksummed address that signed <paramref name="claim"/>.</summary>
    /// <exception cref="FormatException">The signature is malformed or does not recover; the message says why.</exception>
    public static string Recover(IClaim claim, string signature) =>
        TryRecover(claim, signature, out var address, out var reason) ? address : throw new FormatException($"invalid claim signature: {reason}");

    /// <summary>Recovers the signer without throwing: false with a <paramref name="reason"/> for a malformed signature or claim.</summary>
    public static bool TryRecover(IClaim claim, string? signature, out string address, out string? reason)
    {
        address = "";
        if (!TryParse(signature, out var r, out var s, out var v, out reason)) return false;
        byte[] hash;
        try
        {
            hash = ClaimDigest.SigningHash(claim);
        }
        catch (ArgumentException e)
        {
            reason = $"the claim cannot be encoded: {e.Message}";
            return false;
        }
        try
        {
            var recovered = EthECKey.RecoverFromSignature(EthECDSASignatureFactory.FromComponents(r, s, v), hash);
            address = recovered.GetPublicAddress();
            reason = null;
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            reason = $"no public key recovers from this signature ({e.GetType().Name})";
            return false;
        }
    }

    /// <summary>Checks the signature and says who signed or why it is invalid; never throws on bad input.</summary>
    public static SignatureCheck Check(IClaim claim, string? signature, string? expectedAddress)
    {
        if (string.IsNullOrWhiteSpace(expectedAddress) || !AddressUtil.Current.IsValidEthereumAddressHexFormat(expectedAddress))
            return SignatureCheck.Fail($"'{expectedAddress}' is not an Ethereum address");
        if (!TryRecover(claim, signature, out var signer, out var reason)) return SignatureCheck.Fail(reason!);
        return string.Equals(signer, expectedAddress, StringComparison.OrdinalIgnoreCase)
            ? SignatureCheck.Ok(signer)
            : SignatureCheck.Fail($"signed by {signer}, not by {expectedAddress}", signer);
    }

    /// <summary>True when <paramref name="signature"/> is a valid signature of <paramref name="claim"/> by
    /// <paramref name="expectedAddress"/> (compared case-insensitively). Never throws on bad input.</summary>
    public static bool Verify(IClaim claim, string? signature, string? expectedAddress) =>
        Check(claim, signature, expectedAddress).Valid;

    private static bool TryParse(string? signature, out byte[] r, out byte[] s, out byte v, out string? reason)
    {
        r = s = [];
        v = 0;
        if (signature is null)
        {
            reason = "no signature";
            return false;
        }
        var hex = signature.Trim();
        if (hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) hex = hex[2..];
        if (hex.Length != 2 * SignatureSize)
        {
            reason = $"a signature is {SignatureSize} bytes ({2 * SignatureSize} hex digits), got {hex.Length} characters";
            return false;
        }
        if (!hex.All(Uri.IsHexDigit))
        {
            reason = "the signature contains characters that are not hex digits";
            return false;
        }
        var bytes = Convert.FromHexString(hex);
        r = bytes[..32];
        s = bytes[32..64];
        v = bytes[64];
        var rValue = new BigInteger(r, isUnsigned: true, isBigEndian: true);
        var sValue = new BigInteger(s, isUnsigned: true, isBigEndian: true);
        if (v != 27 && v != 28)
        {
            reason = $"v must be 27 or 28, got {v}";
            return false;
        }
        if (rValue.IsZero || rValue >= WorkerKey.CurveOrder)
        {
            reason = "r is outside 1..n-1";
            return false;
        }
        if (sValue.IsZero || sValue >= WorkerKey.CurveOrder)
        {
            reason = "s is outside 1..n-1";
            return false;
        }
        if (sValue > HalfOrder)
        {
            reason = "s is in the upper half of the curve order (a malleated signature; only low-s is accepted)";
            return false;
        }
        reason = null;
        return true;
    }

    private static void LeftPad(byte[] value, Span<byte> destination)
    {
        // Nethereum may give a leading 0x00 (sign byte) or fewer than 32 bytes.
        var trimmed = value.AsSpan();
        while (trimmed.Length > destination.Length && trimmed[0] == 0) trimmed = trimmed[1..];
        if (trimmed.Length > destination.Length) throw new InvalidOperationException($"signature component of {value.Length} bytes");
        destination.Clear();
        trimmed.CopyTo(destination[(destination.Length - trimmed.Length)..]);
    }
}
