using Gensyn.Actors.Jobs;
using Gensyn.Actors.Purge;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Purge;

/// <summary>
/// What the job's ledger does with a charge for refusal: out of the refuser's stake, a restitution of the reruns that
/// the plan (<see cref="PurgeMoney.Refusal"/>) charges, and in the job that convicted it the conviction's slash citing
/// the conviction's evidence hash, each a settlement order of its own, fixed in the journal and settled once.
/// </summary>
public class LedgerRefusalTests
{
    private static readonly string Evidence = "0x" + D("refusal-evidence");

    private static KeyConvicted Refusal(string job) =>
        new(Cheat, ConvictionGround.Refusal, "3 challenges in a row left unanswered", Evidence, T0.AddHours(1), job);

    /// <summary>The refuser left shard 1 of round 0 unanswered twice; the honest keys ran the round.</summary>
    private static List<IJobEvent> Refused(string convictedIn)
    {
        List<IJobEvent> events =
        [
            Submitted(), Started(0), .. Accepted(0, 0, 1, "honest-1", Honest),
            .. Rejected(0, 1, 1, "cheat-1", Cheat, VerdictOutcome.Unavailable),
            .. Rejected(0, 1, 2, "cheat-2", Cheat, VerdictOutcome.Unavailable),
            .. Accepted(0, 1, 3, "other-1", Other), RoundDone(0),
        ];
        return [.. events, PurgeRules.RefusalCharge(Timeline(events), Refusal(convictedIn), T0.AddHours(2))!];
    }

    private static List<string> Text(IEnumerable<SettlementOrder> orders) =>
        orders.Select(o => $"{o.SettlementId} {o.Kind} r{o.Round} {o.Provider} {o.EvidenceHash} {o.Requester} " +
                           $"{o.SlashMicros} {o.RequesterShareBps}").ToList();

    [Fact]
    public void The_refusers_stake_pays_the_reruns_the_plan_charges_and_the_convicting_job_slashes_it_once()
    {
        var events = Refused(convictedIn: JobId);
        var plan = PurgeMoney.Refusal((RefusalCharged)events[^1], Terms());

        var due = State(events).SettlementsDue.Where(o => o.Kind == SettlementKind.Slash).ToList();

        var restitution = Assert.Single(due, o => o.IsRestitution);
        Assert.Equal(Sum(plan, "recomputation"), restitution.SlashMicros);
        Assert.Equal(2 * Payout, restitution.SlashMicros);
        Assert.Equal((Cheat, Payer, JobLedger.RestitutionShareBps),
            (restitution.Provider, restitution.Requester, restitution.RequesterShareBps));
        // The conviction's slash: the configured amount, split as today, citing the conviction's own evidence.
        var slash = Assert.Single(due, o => !o.IsRestitution);
        Assert.Equal((Cheat, Evidence.ToLowerInvariant(), Payer),
            (slash.Provider, slash.EvidenceHash, slash.Requester));
        Assert.Null(slash.RequesterShareBps);
        Assert.NotEqual(slash.EvidenceHash, restitution.EvidenceHash);
        // The stake pays in the plan's order: the reruns before the slash.
        Assert.True(due.IndexOf(restitution) < due.IndexOf(slash));
    }

    [Fact]
    public void Another_job_the_refuser_left_unanswered_charges_its_reruns_but_takes_no_slash()
    {
        var due = State(Refused(convictedIn: "job-elsewhere")).SettlementsDue
            .Where(o => o.Kind == SettlementKind.Slash).ToList();

        var restitution = Assert.Single(due);
        Assert.True(restitution.IsRestitution);
        Assert.Equal(2 * Payout, restitution.SlashMicros);
    }

    [Fact]
    public void The_same_charge_journalled_again_or_restored_from_a_snapshot_gives_the_same_orders()
    {
        var events = Refused(convictedIn: JobId);
        var state = State(events);

        var twice = State([.. events, events[^1]]);
        var restored = JobState.FromSnapshot(state.ToSnapshot());

        Assert.Equal(Text(state.SettlementsDue), Text(twice.SettlementsDue));
        Assert.Equal(Text(state.SettlementsDue), Text(restored.SettlementsDue));
        Assert.Equal(state.SettlementsDue.Select(o => o.SettlementId).Distinct().Count(), state.SettlementsDue.Count);
    }

    [Fact]
    public void A_job_whose_refuser_is_not_convicted_settles_with_no_order_against_its_stake()
    {
        var state = State(Refused(convictedIn: JobId)[..^1]);

        Assert.DoesNotContain(state.SettlementsDue, o => o.Kind == SettlementKind.Slash);
        Assert.Null(state.Ledger.ToSnapshot()!.Held);
    }

    private static long Sum(PurgePlan plan, string why) =>
        plan.Transfers.Where(t => t.To == Payer && t.Why.Contains(why)).Sum(t => t.Micros);
}
