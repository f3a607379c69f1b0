using Gensyn.Actors.Purge;
using Gensyn.Contracts.Messages;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Purge;

/// <summary>Which completed job a conviction marks for an audit, and for how many results: the pure rule
/// (<see cref="PurgeRules.Contributed"/>, <c>JobState.AuditFor</c>).</summary>
public class AuditRulesTests
{
    private static readonly KeyConvicted Conviction =
        new(Cheat, ConvictionGround.Fraud, "fraud elsewhere", "0x" + new string('e', 64), T0.AddHours(2));

    private static readonly JobCompleted Done = new(D("model"), 10, D("final"), 0.9, 0.1, null, T0.AddHours(1));

    [Fact]
    public void Only_aggregated_unrevoked_results_count_as_contributed()
    {
        // Round 0 and 1 took the cheater's result in; round 2's was revoked; round 3 is open (not aggregated).
        List<IJobEvent> events =
        [
            Submitted(rounds: 4), .. RoundWithCheat(0), .. RoundWithCheat(1), Started(2),
            .. Accepted(2, 1, 1, "cheat-1", Cheat), Revoke(2, 1, 1, "cheat-1", Cheat, aggregated: false),
        ];

        Assert.Equal([0, 1], PurgeRules.Contributed(Timeline(events), Cheat).Select(r => r.Round));
        Assert.Empty(PurgeRules.Contributed(Timeline(events), Other));
    }

    [Fact]
    public void A_completed_job_is_marked_once_per_key_and_a_running_one_never()
    {
        List<IJobEvent> running = [Submitted(rounds: 2), .. RoundWithCheat(0), .. RoundWithCheat(1)];
        Assert.Null(State(running).AuditFor(Conviction, Timeline(running), T0));

        List<IJobEvent> completed = [.. running, Done];
        var mark = State(completed).AuditFor(Conviction, Timeline(completed), T0.AddHours(3));
        Assert.Equal((Cheat.ToLowerInvariant(), 2, Conviction.EvidenceHash),
            (mark!.Address, mark.Results, mark.EvidenceHash));

        List<IJobEvent> marked = [.. completed, mark];
        Assert.Null(State(marked).AuditFor(Conviction with { Address = Cheat.ToUpperInvariant() }, Timeline(marked),
            T0.AddHours(4)));
    }
}
