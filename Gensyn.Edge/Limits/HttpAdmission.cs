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
    public static Task AdmitHttp(this EdgeLimiter limiter, HttpContext http, string method, RequestDelegate next)
    {
        var key = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (limiter.TryAdmit(method, key) is not { } wait) return next(http);
        var seconds = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var perMinute = limiter.Limits.CallsPerMinuteOf(method);
        return http.Response.WriteAsync($"the coordinator is rate-limiting {key} on {method} " +
                                        $"({perMinute} requests a minute); retry in {seconds} s\n");
    }
}
