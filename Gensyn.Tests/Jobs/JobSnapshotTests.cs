using System.Text.Json;
using Akka.Actor;
using Gensyn.Actors;
using Gensyn.Actors.Jobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Serialization;

namespace Gensyn.Tests.Jobs;

public class JobSnapshotTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 0, 0, 0, TimeSpan.Zero);

    private static Sha256Digest D(int i) => Sha256Digest.Of(BitConverter.GetBytes(i));

    /// <summary>A job two rounds in: one completed round, the second half done.</summary>
    private static List<IJobEvent> History() =>
    [
        new JobSubmitted((JobId)"job-0000abcd", TestSpecs.SyntheticYaml(rounds: 3, shards: 2, innerSteps: 4), "/tmp", T0),
        new RoundStarted(0, D(1), [D(2), D(3)], [100, 100], T0.AddSeconds(1)),
        new ShardAssigned(0, 0, 1, (WorkerId)"w1", T0.AddSeconds(2)),
        new ShardAssigned(0, 1, 1, (WorkerId)"w2", T0.AddSeconds(2)),
        new ShardReleased(0, 1, 1, (WorkerId)"w2", "the worker's process is gone", T0.AddSeconds(3)),
        new ShardAssigned(0, 1, 2, (WorkerId)"w1", T0.AddSeconds(4)),
        new ShardCompleted(0, 0, 1, (WorkerId)"w1", D(4), D(5), 0.5, T0.AddSeconds(5)),
        new ShardCompleted(0, 1, 2, (WorkerId)"w1", D(6), D(7), 0.7, T0.AddSeconds(6)),
        new RoundCompleted(0, D(8), D(9), 0.6, T0.AddSeconds(7)),
        new RoundStarted(1, D(8), [D(10), D(11)], [100, 100], T0.AddSeconds(8)),
        new ShardAssigned(1, 0, 1, (WorkerId)"w1", T0.AddSeconds(9)),
        new ShardCompleted(1, 0, 1, (WorkerId)"w1", D(12), D(13), 0.4, T0.AddSeconds(10)),
    ];

    private static JobState Replay(IEnumerable<IJobEvent> events) =>
        events.Aggregate(new JobState(), (s, e) => s.Apply(e));

    /// <summary>The whole domain state, as text: two states with the same text decide alike.</summary>
    private static string DomainJson(JobState state) => JsonSerializer.Serialize(state.ToSnapshot());

    private static T RoundTrip<T>(ActorSystem system, T snapshot) where T : notnull
    {
        var serializer = system.Serialization.FindSerializerFor(snapshot);
        Assert.Equal(GensynSerializer.Id, serializer.Identifier);
        return (T)system.Serialization.Deserialize(serializer.ToBinary(snapshot), serializer.Identifier,
            typeof(T).Name);
    }

    [Fact]
    public void A_state_restored_from_a_serialized_snapshot_plus_later_events_equals_a_full_replay()
    {
        var events = History();
        var full = Replay(events);

        using var system = ActorSystem.Create("snapshots", NodeConfig.Remote());
        var restored = JobState.FromSnapshot(RoundTrip(system, Replay(events.Take(7)).ToSnapshot()));
        restored = events.Skip(7).Aggregate(restored, (s, e) => s.Apply(e));

        Assert.Equal(DomainJson(full), DomainJson(restored));
        Assert.Equal(full.Next(), restored.Next());
        Assert.Equal(full.NextEpoch(1), restored.NextEpoch(1));
        Assert.Equal(full.LastShardEnds, restored.LastShardEnds);
        Assert.Equal(NextStep.RunShards, restored.Next());
    }

    [Fact]
    public void A_snapshot_written_before_snapshots_left_out_the_views_still_recovers_the_domain_state()
    {
        var events = History();
        var full = Replay(events);

        using var system = ActorSystem.Create("snapshots", NodeConfig.Remote());
        var written = RoundTrip(system, LegacyJobSnapshot.Of(JobProjection.Of(events.Take(7))));
        var restored = events.Skip(7).Aggregate(JobState.FromSnapshot(written), (s, e) => s.Apply(e));

        Assert.NotEmpty(written.Log);
        Assert.Equal(DomainJson(full), DomainJson(restored));
        Assert.Equal(NextStep.RunShards, restored.Next());
    }

    [Fact]
    public void A_snapshot_holds_no_view_and_no_log_text()
    {
        static IEnumerable<Type> Types(Type t) =>
            t.IsGenericType ? t.GetGenericArguments().SelectMany(Types).Prepend(t) : [t];
        var carried = typeof(JobStateSnapshot).GetProperties().SelectMany(p => Types(p.PropertyType)).ToHashSet();

        Assert.DoesNotContain(typeof(JobLogEntry), carried);
        Assert.DoesNotContain(typeof(VerdictView), carried);
        Assert.DoesNotContain(typeof(JobView), carried);
        Assert.DoesNotContain(typeof(ShardView), carried);
    }

    [Fact]
    public void A_snapshot_larger_than_the_message_limit_is_still_persistable()
    {
        var yaml = TestSpecs.SyntheticYaml(rounds: 3, shards: 2, innerSteps: 4);
        var paid = new JobSubmitted((JobId)"job-0000abcd", yaml, "/tmp", T0, "0x" + new string('a', 40), 1_000_000);
        var events = History().Skip(1).Prepend(paid).ToList();
        // Thousands of frauds: the ledger keeps each one's evidence until its slash is posted.
        for (var i = 0; i < 3000; i++)
            events.Add(new ShardVerified(1, 1, i + 2, (WorkerId)$"cheat-{i}", "0x" + i.ToString("x40"), VerdictOutcome.Fraud,
                new string('r', 100), D(i),
                "0xsig", [1, 2, 3], "00ff", 2, D(i + 1), D(i + 2), "0xclaim", null, 1.0, 1.0, T0));
        var state = Replay(events);
        using var system = ActorSystem.Create("snapshots", NodeConfig.Remote());
        var snapshot = state.ToSnapshot();
        var bytes = system.Serialization.FindSerializerFor(snapshot).ToBinary(snapshot);
        Assert.True(bytes.Length > GensynSerializer.MaxMessageBytes);

        var back = (JobStateSnapshot)system.Serialization.Deserialize(bytes, GensynSerializer.Id,
            nameof(JobStateSnapshot));

        Assert.Equal(3000, back.ExcludedWorkers.Count);
        Assert.Equal(DomainJson(state), DomainJson(JobState.FromSnapshot(back)));
    }

    [Fact]
    public void An_old_snapshot_larger_than_the_message_limit_is_still_readable()
    {
        var job = JobProjection.Of(History());
        for (var i = 0; i < 3000; i++) job = job.Apply(new ShardReleased(1, 1, 1, (WorkerId)"w2", new string('r', 100), T0));
        using var system = ActorSystem.Create("snapshots", NodeConfig.Remote());
        var snapshot = LegacyJobSnapshot.Of(job);
        var bytes = system.Serialization.FindSerializerFor(snapshot).ToBinary(snapshot);
        Assert.True(bytes.Length > GensynSerializer.MaxMessageBytes);

        var back = (JobSnapshot)system.Serialization.Deserialize(bytes, GensynSerializer.Id, nameof(JobSnapshot));

        Assert.Equal(job.Log.Count, back.Log.Count);
        Assert.Equal(DomainJson(job.State), DomainJson(JobState.FromSnapshot(back)));
    }
}
