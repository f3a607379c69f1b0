namespace Gensyn.Contracts.Messages;

/// <summary>
/// A job journalled events: <see cref="What"/> names their kinds (<c>round</c>, <c>verdict</c>, <c>settlement</c>,
/// <c>state</c>, <c>shard</c>, <c>purge</c>). Published on the cluster's <see cref="Topic"/> after the events are
/// persisted, so that live views (the dashboard) refresh when something happened instead of asking on a timer.
/// </summary>
public sealed record JobChanged(JobId JobId, IReadOnlyList<string> What, DateTimeOffset At) : IGensynMessage
{
    /// <summary>The publish-subscribe topic job changes go to.</summary>
    public const string Topic = "gensyn.job-changes";
}
