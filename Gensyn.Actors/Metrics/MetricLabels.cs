using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Metrics;

/// <summary>
/// The values a label of the Gensyn meter may take: fixed sets known when the coordinator is built, never anything a
/// caller chooses (no job or worker ids, no addresses, no class string a worker reports as it likes). Whatever falls
/// outside a set is counted as <see cref="Other"/>, so no caller can add series to a scrape.
/// </summary>
public static class MetricLabels
{
    public const string Other = "other";

    /// <summary>A job's state: its phase, in lower case.</summary>
    public static readonly IReadOnlyList<string> JobStates = Enum.GetValues<JobPhase>().Select(Lower).ToList();

    /// <summary>A verdict's outcome, in lower case.</summary>
    public static readonly IReadOnlyList<string> Outcomes = Enum.GetValues<VerdictOutcome>().Select(Lower).ToList();

    /// <summary>A worker's hardware class (the device it offers), or <see cref="Other"/>.</summary>
    public static readonly IReadOnlyList<string> WorkerClasses =
        [.. Workers.DeviceClaims.Offered.Select(d => d.Name), Other];

    public static readonly IReadOnlyList<string> WorkerStates = ["idle", "busy"];
    public static readonly IReadOnlyList<string> ShardStates = ["running", "waiting"];
    public static readonly IReadOnlyList<string> WorkKinds = ["training", "verification"];

    public static string JobState(JobPhase phase) => Lower(phase);
    public static string Outcome(VerdictOutcome outcome) => Lower(outcome);

    /// <summary>The class label of a worker offering <paramref name="device"/>: a known device, else "other".</summary>
    public static string WorkerClass(string? device)
    {
        foreach (var known in WorkerClasses)
            if (string.Equals(known, device, StringComparison.OrdinalIgnoreCase)) return known;
        return Other;
    }

    private static string Lower<TEnum>(TEnum value) where TEnum : struct, Enum => value.ToString().ToLowerInvariant();
}
