using System.Globalization;
using System.Threading.RateLimiting;
using Grpc.Core;

namespace Gensyn.Edge.Limits;

/// <summary>
/// Enforces <see cref="EdgeLimits"/> per caller key: a token bucket per (method, key) refilled at the method's calls per minute, and a
/// cap on the streams (sessions, blob transfers, probes) one key holds open at once. A refused caller gets <c>ResourceExhausted</c> with
/// a <see cref="RetryAfterTrailer"/> in milliseconds.
/// </summary>
public sealed class EdgeLimiter : IAsyncDisposable
{
    /// <summary>The trailer of a <c>ResourceExhausted</c> refusal that says how long to wait before calling again.</summary>
    public const string RetryAfterTrailer = "retry-after-ms";

    private readonly PartitionedRateLimiter<(string Method, string Key)> _calls;
    private readonly PartitionedRateLimiter<(string Kind, string Key)> _streams;

    public EdgeLimiter(EdgeLimits limits)
    {
        Limits = limits;
        _calls = PartitionedRateLimiter.Create<(string Method, string Key), (string, string)>(call =>
            RateLimitPartition.GetTokenBucketLimiter(call, c => Bucket(limits.CallsPerMinuteOf(c.Item1))));
        _streams = PartitionedRateLimiter.Create<(string Kind, string Key), (string, string)>(stream =>
            RateLimitPartition.GetConcurrencyLimiter(stream, _ => new ConcurrencyLimiterOptions { PermitLimit = limits.StreamsPerKey, QueueLimit = 0 }));
    }

    public EdgeLimits Limits { get; }

    /// <summary>A minute's worth of calls at once, refilled evenly (every second, or every 60/n seconds below one call a second).</summary>
    private static TokenBucketRateLimiterOptions Bucket(int perMinute) => new()
    {
        TokenLimit = perMinute,
        TokensPerPeriod = perMinute >= 60 ? (perMinute + 59) / 60 : 1,
        ReplenishmentPeriod = perMinute >= 60 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(60.0 / perMinute),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    /// <summary>Counts one call of <paramref name="method"/> by <paramref name="key"/>, or refuses it with ResourceExhausted.</summary>
    public void Admit(string method, string key)
    {
        if (TryAdmit(method, key) is not { } wait) return;
        throw Exhausted($"the coordinator is rate-limiting {key} on {method} ({Limits.CallsPerMinuteOf(method)} calls a minute); retry in {Math.Ceiling(wait.TotalSeconds):0} s", wait);
    }

    /// <summary>Counts one call of <paramref name="method"/> by <paramref name="key"/>: null when admitted, else how long
    /// to wait before calling again.</summary>
    public TimeSpan? TryAdmit(string method, string key)
    {
        using var lease = _calls.AttemptAcquire((method, key.ToLowerInvariant()));
        if (lease.IsAcquired) return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retry)
            ? retry
            : TimeSpan.FromSeconds(60.0 / Limits.CallsPerMinuteOf(method));
    }

    /// <summary>Holds one of <paramref name="key"/>'s open <paramref name="kind"/> streams until disposed, or refuses with ResourceExhausted.</summary>
    public IDisposable Stream(string kind, string key)
    {
        var lease = _streams.AttemptAcquire((kind, key.ToLowerInvariant()));
        if (lease.IsAcquired) return lease;
        lease.Dispose();
        throw Exhausted($"{key} already holds {Limits.StreamsPerKey} open {kind} streams; close one and retry", TimeSpan.FromSeconds(1));
    }

    /// <summary>ResourceExhausted with a retry-after trailer.</summary>
    public static RpcException Exhausted(string why, TimeSpan retryAfter) =>
        new(new Status(StatusCode.ResourceExhausted, why),
            new Metadata { { RetryAfterTrailer, ((long)Math.Ceiling(Math.Max(1, retryAfter.TotalMilliseconds))).ToString(CultureInfo.InvariantCulture) } });

    /// <summary>A call's method without its service (<c>/gensyn.v1.RequesterEdge/Submit</c> → <c>Submit</c>).</summary>
    public static string MethodOf(ServerCallContext context) => context.Method[(context.Method.LastIndexOf('/') + 1)..];

    /// <summary>Counts an unsigned call against the caller's IP address.</summary>
    public void AdmitPublic(ServerCallContext context) => Admit(MethodOf(context), RemoteKey(context));

    /// <summary>The key of an unsigned call: the caller's IP address.</summary>
    public static string RemoteKey(ServerCallContext context) =>
        context.GetHttpContext().Connection.RemoteIpAddress?.ToString() ?? context.Peer;

    public async ValueTask DisposeAsync()
    {
        await _calls.DisposeAsync();
        await _streams.DisposeAsync();
    }
}
