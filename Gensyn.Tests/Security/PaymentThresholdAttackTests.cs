using Gensyn.Actors.Jobs;
using Gensyn.Contracts.Messages;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Security;

/// <summary>
/// A cheater that cannot poison the model can still try to cost honest providers their pay: a round pays only at a 95%
/// match rate, and before the convicted key's verdicts stopped counting, its revoked result (and its fraud) pushed a
/// small round under the threshold, so the honest providers of the round it sat in went unpaid.
/// </summary>
public class PaymentThresholdAttackTests
{
    [Fact]
    public void Honest_providers_of_a_round_with_one_revoked_cheater_result_are_still_paid()
    {
        // Shard 1's result of the cheater passed its spot-check; the key is convicted elsewhere and the result,
        // still in the open round, is revoked; the shard re-runs on an honest key and the round completes.
        var state = Gensyn.Tests.Purge.RoundPaymentTests.Decided([
            Submitted(), Started(0), .. Accepted(0, 0, 1, "honest-1", Honest), .. Accepted(0, 1, 1, "cheat-1", Cheat),
            Revoke(0, 1, 1, "cheat-1", Cheat, aggregated: false), .. Accepted(0, 1, 2, "other-1", Other),
            RoundDone(0),
        ]);

        var round = Assert.Single(state.History);
        Assert.True(round.Paid, $"match rate {round.MatchRate}: the revoked result counted against the honest keys");
        var pay = Assert.Single(state.SettlementsDue, o => o.Kind == SettlementKind.PayRound);
        Assert.Equal([(Honest, Payout), (Other, Payout)], pay.Payees.Select(p => (p.Address, p.Micros)));
        Assert.Equal((2, 2), (pay.Accepted, pay.Judged));
        // The cheater pays for the re-run out of its stake, as before.
        Assert.Contains(state.SettlementsDue, o => o.Kind == SettlementKind.Slash && o.Provider == Cheat);
    }
}
