using System.Collections.Concurrent;
using System.Security.Cryptography;
using Gensyn.Contracts.Signing;
using Google.Protobuf;
using Grpc.Core;

namespace Gensyn.Edge.Auth;

/// <summary>
/// The metadata of a signed requester call (docs/edge-protocol.md): the caller's address, the time, a fresh nonce and an EIP-712
/// signature over an <see cref="EdgeRequestClaim"/> of (method, SHA-256 of the request's protobuf bytes, chain id, the edge's
/// certificate fingerprint, time, nonce).
/// </summary>
public static class RequestAuth
{
    public const string AddressHeader = "gensyn-address";
    public const string TimeHeader = "gensyn-time";
    public const string NonceHeader = "gensyn-nonce";
    public const string SignatureHeader = "gensyn-signature";

    /// <summary>How far a request's time may be from the edge's clock.</summary>
    public static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    public static string BodySha256(IMessage request) => Convert.ToHexStringLower(SHA256.HashData(request.ToByteArray()));

    /// <summary>The claim a call to <paramref name="method"/> (<c>/gensyn.v1.Service/Method</c>) signs.</summary>
    public static EdgeRequestClaim Claim(string method, IMessage request, int chainId, string fingerprint, long unixMs, string nonce) =>
        new(method, BodySha256(request), chainId, fingerprint, unixMs, nonce);

    /// <summary>The headers that sign a call to <paramref name="method"/> with <paramref name="key"/>.</summary>
    public static Metadata Sign(WorkerKey key, string method, IMessage request, int chainId, string fingerprint)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var signature = ClaimSigner.Sign(key, Claim(method, request, chainId, fingerprint, now, nonce));
        return new Metadata
        {
            { AddressHeader, key.Address },
            { TimeHeader, now.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            { NonceHeader, nonce },
            { SignatureHeader, signature },
        };
    }
}

/// <summary>
/// The edge's check of signed calls: the signature recovers to the address the call names, the time is within
/// <see cref="RequestAuth.Skew"/>, and the nonce was never seen in that window (a replayed request is refused).
/// </summary>
public sealed class RequestVerifier(string fingerprint, Func<int?> chainId)
{
    private readonly ConcurrentDictionary<string, long> _seen = new();
    private long _lastSweep = Environment.TickCount64;

    /// <summary>At most this many nonces are remembered; past it new signed calls are refused until old ones expire.</summary>
    public const int MaxRemembered = 1_000_000;

    /// <summary>The checksummed address that signed this call, or an <see cref="RpcException"/> (Unauthenticated) that says why not.</summary>
    public string Authenticate(ServerCallContext context, IMessage request)
    {
        string Header(string name) => context.RequestHeaders.GetValue(name)
            ?? throw Refuse($"this call must be signed by the caller's wallet (missing {name}); the gensyn CLI signs with DATA_DIR/wallet.key or --key");
        var address = Header(RequestAuth.AddressHeader);
        var timeText = Header(RequestAuth.TimeHeader);
        var nonce = Header(RequestAuth.NonceHeader);
        var signature = Header(RequestAuth.SignatureHeader);
        if (!long.TryParse(timeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var unixMs))
            throw Refuse($"{RequestAuth.TimeHeader} must be Unix milliseconds");
        var skew = TimeSpan.FromMilliseconds(Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - unixMs));
        if (skew > RequestAuth.Skew) throw Refuse($"the request is {skew.TotalMinutes:0} minutes away from the coordinator's clock (at most {RequestAuth.Skew.TotalMinutes:0}); check your clock");
        if (nonce.Length != 32 || !nonce.All(Uri.IsHexDigit)) throw Refuse($"{RequestAuth.NonceHeader} must be 32 hex digits");
        if (chainId() is not { } chain) throw new RpcException(new Status(StatusCode.Unavailable, "the coordinator cannot tell its chain yet; try again in a few seconds"));
        var claim = RequestAuth.Claim(context.Method, request, chain, fingerprint, unixMs, nonce);
        var check = ClaimSigner.Check(claim, signature, address);
        if (!check.Valid) throw Refuse($"the request's signature does not verify ({check.Reason})");
        Sweep();
        if (_seen.Count >= MaxRemembered) throw new RpcException(new Status(StatusCode.ResourceExhausted, "too many signed requests; try again in a few minutes"));
        if (!_seen.TryAdd(nonce.ToLowerInvariant(), Environment.TickCount64))
            throw Refuse("this request was already received once (a replay); each request needs a fresh nonce");
        return check.Signer!;
    }


    private static RpcException Refuse(string why) => new(new Status(StatusCode.Unauthenticated, why));

    /// <summary>Forgets nonces older than twice the skew (a request that old is refused by its time anyway).</summary>
    private void Sweep()
    {
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _lastSweep) < 10_000) return;
        Interlocked.Exchange(ref _lastSweep, now);
        var horizon = now - (long)(2 * RequestAuth.Skew.TotalMilliseconds);
        foreach (var (nonce, at) in _seen)
            if (at < horizon) _seen.TryRemove(nonce, out _);
    }
}
