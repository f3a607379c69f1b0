using System.Text.Json;
using Akka.Actor;
using Gensyn.Actors;
using Gensyn.Actors.Jobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Jobs;

public class JobSnapshotTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 0, 0, 0, TimeSpan.Zero);

    private static Sha256Digest D(int i) => Sha256Digest.Of(BitConverter.GetBytes(i));

    /// <summary>A job two rounds in: one completed round, the second half done.</summary>
    private static List<IJobEvent> History() =>
    [
        new JobSubmitted("job-0000abcd", TestSpecs.SyntheticYaml(rounds: 3, shards: 2, innerSteps: 4), "/tmp", T0),
        new RoundStarted(0, D(1), [D(2), D(3)], [100, 100], T0.AddSeconds(1)),
        new ShardAssigned(0, 0, 1, "w1", T0.AddSeconds(2)),
        new ShardAssigned(0, 1, 1, "w2", T0.AddSeconds(2)),
        new ShardReleased(0, 1, 1, "w2", "the worker's process is gone", T0.AddSeconds(3)),
        new ShardAssigned(0, 1, 2, "w1", T0.AddSeconds(4)),
        new ShardCompleted(0, 0, 1, "w1", D(4), D(5), 0.5, T0.AddSeconds(5)),
        new ShardCompleted(0, 1, 2, "w1", D(6), D(7), 0.7, T0.AddSeconds(6)),
        new RoundCompleted(0, D(8), D(9), 0.6, T0.AddSeconds(7)),
        new RoundStarted(1, D(8), [D(10), D(11)], [100, 100], T0.AddSeconds(8)),
        new ShardAssigned(1, 0, 1, "w1", T0.AddSeconds(9)),
        new ShardCompleted(1, 0, 1, "w1", D(12), D(13), 0.4, T0.AddSeconds(10)),
    ];

    private static string ViewJson(JobState state) => JsonSerializer.Serialize(state.View(new Dictionary<int, (int, float)>()));

    [Fact]
    public void A_state_restored_from_a_serialized_snapshot_plus_later_events_equals_a_full_replay()
    {
        var events = History();
        var full = new JobState();
        foreach (var e in events) full.Apply(e);

        using var system = ActorSystem.Create("snapshots", NodeConfig.Remote());
        var partial = new JobState();
        foreach (var e in events.Take(7)) partial.Apply(e);
        var snapshot = partial.ToSnapshot();
        var serializer = system.Serialization.FindSerializerFor(snapshot);
        Assert.Equal(Gensyn.Contracts.Serialization.GensynSerializer.Id, serializer.Identifier);
        var bytes = serializer.ToBinary(snapshot);
        var restored = JobState.FromSnapshot((JobSnapshot)system.Serialization.Deserialize(bytes, serializer.Identifier, nameof(JobSnapshot)));
        foreach (var e in events.Skip(7)) restored.Apply(e);

        Assert.Equal(ViewJson(full), ViewJson(restored));
        Assert.Equal(full.Log.Select(l => l.Text), restored.Log.Select(l => l.Text));
        Assert.Equal(full.Next(), restored.Next());
        Assert.Equal(full.NextEpoch(1), restored.NextEpoch(1));
        Assert.Equal(full.LastShardEnds, restored.LastShardEnds);
        Assert.Equal(NextStep.RunShards, restored.Next());
    }

    [Fact]
    public void A_snapshot_larger_than_the_message_limit_is_still_persistable()
    {
        var state = new JobState();
        foreach (var e in History()) state.Apply(e);
        for (var i = 0; i < 3000; i++) state.Apply(new ShardReleased(1, 1, 1, "w2", new string('r', 100), T0));
        using var system = ActorSystem.Create("snapshots", NodeConfig.Remote());
        var snapshot = state.ToSnapshot();
        var bytes = system.Serialization.FindSerializerFor(snapshot).ToBinary(snapshot);
        Assert.True(bytes.Length > Gensyn.Contracts.Serialization.GensynSerializer.MaxMessageBytes);
        var back = (JobSnapshot)system.Serialization.Deserialize(bytes, Gensyn.Contracts.Serialization.GensynSerializer.Id, nameof(JobSnapshot));
        Assert.Equal(state.Log.Count, back.Log.Count);
    }
}
