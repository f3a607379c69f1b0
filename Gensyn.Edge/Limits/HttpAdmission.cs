using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Gensyn.Edge.Limits;

/// <summary>The edge's limits on its plain HTTP requests (the gRPC calls have
/// <see cref="EdgeLimiter.AdmitPublic"/>).</summary>
public static class HttpAdmission
{
    /// <summary>
    /// Counts an unsigned request against the caller's IP address as <paramref name="method"/> and passes it on, or
    /// answers 429 with a Retry-After (seconds) and a one-line reason.
    /// </summary>
    public static Task AdmitHttp(this EdgeLimiter limiter, HttpContext http, string method, RequestDelegate next) =>
        limiter.Refuse(http, method, method) is { } reason ? http.Response.WriteAsync(reason + "\n") : next(http);

    /// <summary>
    /// Counts an unsigned request against the caller's IP address as <paramref name="method"/>: null when admitted;
    /// otherwise sets 429 and Retry-After (seconds) on the response and returns the one-line reason, which names
    /// the refused requests as <paramref name="what"/>.
    /// </summary>
    public static string? Refuse(this EdgeLimiter limiter, HttpContext http, string method, string what)
    {
        var key = RemoteKey(http);
        if (limiter.TryAdmit(method, key) is not { } wait) return null;
        var seconds = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var perMinute = limiter.Limits.CallsPerMinuteOf(method);
        return $"the coordinator is rate-limiting {key} on {what} ({perMinute} requests a minute); retry in {seconds} s";
    }

    /// <summary>The caller's IP address, the key its plain HTTP requests are counted under.</summary>
    public static string RemoteKey(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
