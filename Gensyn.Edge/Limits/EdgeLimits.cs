using Akka.Configuration;

namespace Gensyn.Edge.Limits;

/// <summary>
/// What one caller key may ask of the edge (<c>gensyn.edge.limits</c> in cluster.hocon; docs/operations/security.md, "Limits at the edge"). A caller
/// key is the signing address of a signed requester call, the worker's address for its session and blob calls, and the remote IP for
/// the unsigned public calls. The defaults are far above what an honest worker or requester sends.
/// </summary>
public sealed record EdgeLimits(
    int CallsPerMinute,
    IReadOnlyDictionary<string, int> MethodCallsPerMinute,
    int StreamsPerKey,
    long BlobQuotaBytes,
    long MaxUploadBytes,
    int NoncesPerKey,
    int ListJobsPageSize,
    int MissingBlobsPerCall = 4096)
{
    public const string Section = "gensyn.edge.limits";

    public static readonly EdgeLimits Default = new(
        6000, new Dictionary<string, int> { ["ProbeBandwidth"] = 600 }, 256, 64L << 30, 8L << 30, 100_000, 50);

    /// <summary>Calls per minute (and burst) that one key may make of <paramref name="method"/> (the method's short name).</summary>
    public int CallsPerMinuteOf(string method) => MethodCallsPerMinute.TryGetValue(method, out var n) ? n : CallsPerMinute;

    /// <summary>The limits in <paramref name="config"/>'s <see cref="Section"/>, each falling back to its default.</summary>
    public static EdgeLimits From(Config config)
    {
        var d = Default;
        if (!config.HasPath(Section)) return d;
        var c = config.GetConfig(Section);
        var methods = new Dictionary<string, int>(d.MethodCallsPerMinute);
        if (c.HasPath("method-calls-per-minute"))
            foreach (var (method, _) in c.GetConfig("method-calls-per-minute").AsEnumerable())
                methods[method] = Positive(c.GetInt($"method-calls-per-minute.{method}"), $"method-calls-per-minute.{method}");
        return new EdgeLimits(
            Positive(c.GetInt("calls-per-minute", d.CallsPerMinute), "calls-per-minute"),
            methods,
            Positive(c.GetInt("streams-per-key", d.StreamsPerKey), "streams-per-key"),
            Positive(c.GetByteSize("blob-quota") ?? d.BlobQuotaBytes, "blob-quota"),
            Positive(c.GetByteSize("max-upload") ?? d.MaxUploadBytes, "max-upload"),
            Positive(c.GetInt("nonces-per-key", d.NoncesPerKey), "nonces-per-key"),
            Positive(c.GetInt("list-jobs-page-size", d.ListJobsPageSize), "list-jobs-page-size"),
            Positive(c.GetInt("missing-blobs-per-call", d.MissingBlobsPerCall), "missing-blobs-per-call"));
    }

    private static T Positive<T>(T value, string name) where T : System.Numerics.INumber<T> =>
        value > T.Zero ? value : throw new ConfigurationException($"{Section}.{name} must be above 0, got {value}");
}
