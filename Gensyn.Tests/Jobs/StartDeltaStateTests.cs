using Gensyn.Actors.Jobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Jobs;

/// <summary>From a training job's second round, each shard's assignment offers the delta its last worker can rebuild
/// the start state from; a journal written before deltas (no update blob) offers none.</summary>
public sealed class StartDeltaStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);
    private static readonly string Yaml = TestSpecs.SyntheticYaml(rounds: 3, shards: 2);

    private static Sha256Digest D(string text) => Sha256Digest.Of(System.Text.Encoding.UTF8.GetBytes(text));

    private static JobState Run(Sha256Digest? update)
    {
        var state = new JobProjection();
        IJobEvent[] events =
        [
            new JobSubmitted((JobId)"job-0123abcd", Yaml, "", T0),
            new RoundStarted(0, D("global-0"), [D("start-0-0"), D("start-0-1")], [10, 10], T0),
            new ShardAssigned(0, 0, 1, (WorkerId)"worker-1", T0),
            new ShardCompleted(0, 0, 1, (WorkerId)"worker-1", D("end-0-0"), D("root-0-0"), 0.5, T0),
            new ShardAssigned(0, 1, 1, (WorkerId)"worker-2", T0),
            new ShardCompleted(0, 1, 1, (WorkerId)"worker-2", D("end-0-1"), D("root-0-1"), 0.5, T0),
            new RoundCompleted(0, D("global-1"), D("digest-1"), 0.5, T0, Update: update),
            new RoundStarted(1, D("global-1"), [D("start-1-0"), D("start-1-1")], [10, 10], T0),
        ];
        foreach (var e in events) state = state.Apply(e);
        return state.State;
    }

    [Fact]
    public void The_second_rounds_shards_offer_the_update_and_their_last_start_and_end_states()
    {
        var state = Run(D("update-0"));

        Assert.Equal(new StartStateDelta(D("update-0"), D("start-0-0"), D("end-0-0")), state.StartDeltaOf(0));
        Assert.Equal(new StartStateDelta(D("update-0"), D("start-0-1"), D("end-0-1")), state.StartDeltaOf(1));
        Assert.Contains(D("update-0"), state.ReferencedBlobs());
    }

    [Fact]
    public void A_round_journalled_without_an_update_blob_offers_no_delta()
    {
        var state = Run(null);

        Assert.Null(state.StartDeltaOf(0));
        Assert.Null(state.StartDeltaOf(1));
    }
}
