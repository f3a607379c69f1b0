using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>
/// What <see cref="JobState.Decide"/> makes of a command: the events to persist (in order), the messages that answer
/// the command's sender once they are persisted, the messages for every other shard actor of the round, whether the
/// job should then start what it needs next, and a line for the node's log.
/// </summary>
public sealed record JobDecision(
    IReadOnlyList<IJobEvent> Events,
    IReadOnlyList<object> Replies,
    IReadOnlyList<object> ToOtherShards,
    bool Advance = false,
    string? Warning = null,
    string? Info = null)
{
    public static readonly JobDecision None = new([], [], []);

    public static JobDecision Persist(params IJobEvent[] events) => new(events, [], []);

    public static JobDecision Reply(object reply) => new([], [reply], []);
}

/// <summary>The limits a job's rules read from the node's configuration.</summary>
/// <param name="MaxShardFailures">After failing on this many different workers, a shard fails its job.</param>
public sealed record JobRules(int MaxShardFailures = 3);

/// <summary>A coordinator computation (preparing, aggregating or finishing a round) failed.</summary>
public sealed record ComputeFailed(string Reason) : Akka.Actor.INoSerializationVerificationNeeded;
