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
/// <see cref="RequestAuth.Skew"/>, and the nonce was never seen in that window (a replayed request is refused). Nonces are remembered
/// per signing key, at most <paramref name="noncesPerKey"/> each: a key that floods signed calls fills only its own window and is
/// refused, and never pushes another key's nonces out (nothing is ever evicted early, so no replay window opens).
/// </summary>
public sealed class RequestVerifier(string fingerprint, Func<int?> chainId, int noncesPerKey = 100_000)
{
    private readonly ConcurrentDictionary<string, Dictionary<string, long>> _seen = new(StringComparer.OrdinalIgnoreCase);
    private long _remembered;
    private long _lastSweep = Environment.TickCount64;

    /// <summary>At most this many nonces are remembered in all; past it new signed calls are refused until old ones expire.</summary>
    public const int MaxRemembered = 1_000_000;

    /// <summary>Nonces remembered for <paramref name="address"/> (what the replay check holds for that key).</summary>
    public int Remembered(string address)
    {
        if (!_seen.TryGetValue(address, out var nonces)) return 0;
        lock (nonces) return nonces.Count;
    }

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
        Remember(check.Signer!, nonce.ToLowerInvariant());
        return check.Signer!;
    }

    /// <summary>Records a verified call's nonce under its signer, refusing a replay, a full window for that key, or a full cache.</summary>
    private void Remember(string signer, string nonce)
    {
        while (true)
        {
            var nonces = _seen.GetOrAdd(signer, _ => []);
            lock (nonces)
            {
                // The sweep may have just dropped this (empty) window: then take the one now in place.
                if (!_seen.TryGetValue(signer, out var current) || !ReferenceEquals(current, nonces)) continue;
                Add(signer, nonce, nonces);
                return;
            }
        }
    }

    private void Add(string signer, string nonce, Dictionary<string, long> nonces)
    {
        if (nonces.ContainsKey(nonce)) throw Refuse("this request was already received once (a replay); each request needs a fresh nonce");
        if (nonces.Count >= noncesPerKey)
            throw Limits.EdgeLimiter.Exhausted(
                $"{signer} sent {noncesPerKey:N0} signed requests within {2 * RequestAuth.Skew.TotalMinutes:0} minutes; retry in a minute", TimeSpan.FromMinutes(1));
        if (Interlocked.Read(ref _remembered) >= MaxRemembered)
            throw Limits.EdgeLimiter.Exhausted("too many signed requests; try again in a few minutes", TimeSpan.FromMinutes(1));
        nonces[nonce] = Environment.TickCount64;
        Interlocked.Increment(ref _remembered);
    }

    private static RpcException Refuse(string why) => new(new Status(StatusCode.Unauthenticated, why));

    /// <summary>Forgets nonces older than twice the skew (a request that old is refused by its time anyway), and keys with none left.</summary>
    private void Sweep()
    {
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _lastSweep) < 10_000) return;
        Interlocked.Exchange(ref _lastSweep, now);
        var horizon = now - (long)(2 * RequestAuth.Skew.TotalMilliseconds);
        foreach (var (signer, nonces) in _seen)
        {
            lock (nonces)
            {
                foreach (var (nonce, at) in nonces.Where(n => n.Value < horizon).ToList())
                {
                    nonces.Remove(nonce);
                    Interlocked.Decrement(ref _remembered);
                }
                if (nonces.Count == 0) _seen.TryRemove(new KeyValuePair<string, Dictionary<string, long>>(signer, nonces));
            }
        }
    }
}
