using Gensyn.Actors.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Purge;

/// <summary>
/// The money terms of a purge: who the requester is, where the rest of a slash goes, what one accepted result earns
/// (the job's <see cref="Settlement.JobLedger.ResultPayoutMicros"/>), the convicted key's stake, and the slash as today
/// (<c>gensyn.settlement.slash-amount</c> per fraud, <c>requester-share-bps</c> of it to the requester).
/// </summary>
public sealed record PurgeTerms(
    string Requester,
    string Treasury,
    long ResultPayoutMicros,
    long StakeMicros,
    long SlashMicros,
    int RequesterShareBps);

/// <summary>One movement of money: <see cref="From"/> and <see cref="To"/> are accounts (<see cref="PurgePlan.Stake"/>,
/// <see cref="PurgePlan.Escrow"/>, or an address).</summary>
public sealed record PurgeTransfer(string From, string To, long Micros, string Why);

/// <summary>
/// What a purge moves, all at once, and what it could not: <see cref="StakeShortfallMicros"/> is what the convicted
/// stake owed but did not hold; <see cref="EscrowShortfallMicros"/> what honest providers were owed for discarded
/// rounds that the escrow no longer held. <see cref="RecomputedResults"/> results run again at the job's locked
/// payout each; the stake advanced their cost to the requester, whose escrow pays them as they are verified.
/// </summary>
public sealed record PurgePlan(
    IReadOnlyList<PurgeTransfer> Transfers,
    int RecomputedResults,
    long StakeShortfallMicros,
    long EscrowShortfallMicros)
{
    public static string Stake(string address) => $"stake:{address.ToLowerInvariant()}";

    public static string Escrow(string jobId) => $"escrow:{jobId}";

    /// <summary>What <paramref name="account"/> pays out under this plan.</summary>
    public long Out(string account) => Transfers.Where(t => t.From == account).Sum(t => t.Micros);

    /// <summary>What <paramref name="account"/> receives under this plan.</summary>
    public long In(string account) => Transfers.Where(t => t.To == account).Sum(t => t.Micros);
}

/// <summary>
/// Who is paid when a job is purged of a convicted key's work, as a pure plan over the job's journal. The requester
/// pays only for verified honest work; the convicted stake pays for the rest:
/// <list type="number">
/// <item>payouts already made for its revoked results come back out of its stake, to the requester;</item>
/// <item>the recomputation is charged to its stake: every accepted result of a discarded round (and every revoked
/// result of the open round) runs again, at the job's locked payout each, advanced to the requester;</item>
/// <item>the slash for each revoked result that is fraud is taken and split as today: requester-share-bps to the
/// requester, the rest to the treasury (integer arithmetic as the staking contract's);</item>
/// <item>honest providers whose results in discarded rounds were verified and not yet paid are paid from the escrow,
/// per round, when their own results in it reach the payment threshold (the convicted key's verdicts do not count
/// against them); the convicted key earns nothing for a discarded round.</item>
/// </list>
/// The stake pays in that order, as far as it goes. Nothing is created or lost: every transfer leaves one account and
/// enters another.
/// </summary>
public static class PurgeMoney
{
    /// <param name="timeline">The job's journal with the purge's revocations, before
    /// <paramref name="rollback"/>.</param>
    /// <param name="convicted">The convicted key.</param>
    /// <param name="rollback">What <see cref="PurgeRules.Rollback"/> returned for it (null: none).</param>
    /// <param name="terms">The money terms.</param>
    public static PurgePlan Plan(PurgeTimeline timeline, string convicted, RoundsRolledBack? rollback,
                                 PurgeTerms terms)
    {
        var transfers = new List<PurgeTransfer>();
        var stake = PurgePlan.Stake(convicted);
        var left = Math.Max(0, terms.StakeMicros);
        var shortfall = 0L;

        void FromStake(long owed, Action<long> pay)
        {
            var taken = Math.Min(owed, left);
            left -= taken;
            shortfall += owed - taken;
            if (taken > 0) pay(taken);
        }

        var revoked = timeline.Results.Where(r => r.Revoked && r.Of(convicted)).ToList();
        var paidBack = revoked.Count(r => r.Paid) * terms.ResultPayoutMicros;
        FromStake(paidBack, m => transfers.Add(new(stake, terms.Requester, m,
            "payouts made for revoked results, paid back")));

        var discarded = rollback?.DiscardedRounds.ToHashSet() ?? [];
        var current = timeline.Results.Where(r => r.Generation == timeline.GenerationOf(r.Round)).ToList();
        var recomputed = current.Count(r => r.Outcome == VerdictOutcome.Accepted && discarded.Contains(r.Round))
                         + PurgeRules.Reruns(timeline).Count(r => !discarded.Contains(r.Round));
        FromStake(recomputed * terms.ResultPayoutMicros, m => transfers.Add(new(stake, terms.Requester, m,
            $"the recomputation of {recomputed} result(s)")));

        foreach (var fraud in revoked.Where(r => r.Revocation!.Outcome == VerdictOutcome.Fraud))
            FromStake(terms.SlashMicros, m =>
            {
                var share = m * Math.Clamp(terms.RequesterShareBps, 0, 10_000) / 10_000;
                var why = $"the slash for round {fraud.Round} shard {fraud.Shard}";
                if (share > 0) transfers.Add(new(stake, terms.Requester, share, why + ", the requester's share"));
                if (m - share > 0) transfers.Add(new(stake, terms.Treasury, m - share, why + ", the treasury's share"));
            });

        var escrow = PurgePlan.Escrow(timeline.JobId);
        var escrowLeft = Math.Max(0, timeline.EscrowRemainingMicros);
        var escrowShortfall = 0L;
        foreach (var round in discarded.Order())
        {
            var honest = current.Where(r => r.Round == round && !r.Of(convicted)).ToList();
            var accepted = honest.Where(r => r.Accepted).ToList();
            if (honest.Count == 0 || accepted.Count < JobState.PaymentThreshold * honest.Count) continue;
            foreach (var payee in accepted.Where(r => !r.Paid)
                         .GroupBy(r => r.Address.ToLowerInvariant()).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var owed = payee.Count() * terms.ResultPayoutMicros;
                var paid = Math.Min(owed, escrowLeft);
                escrowLeft -= paid;
                escrowShortfall += owed - paid;
                if (paid > 0)
                    transfers.Add(new(escrow, payee.First().Address, paid,
                        $"verified work in discarded round {round} ({payee.Count()} result(s))"));
            }
        }
        return new PurgePlan(transfers, recomputed, shortfall, escrowShortfall);
    }

    /// <summary>
    /// What a conviction for refusal costs the key in one job (<paramref name="charge"/>, from
    /// <see cref="PurgeRules.RefusalCharge"/>): out of its stake, as far as it goes, (1) the recomputation of each
    /// challenge it left unanswered here, at the job's locked payout, to the requester; then (2) in the one job whose
    /// verdict convicted it, the conviction's slash, split as today. The escrow pays nothing for it.
    /// </summary>
    public static PurgePlan Refusal(RefusalCharged charge, PurgeTerms terms)
    {
        var transfers = new List<PurgeTransfer>();
        var stake = PurgePlan.Stake(charge.Address);
        var left = Math.Max(0, terms.StakeMicros);
        var owed = Math.Max(0, charge.Unanswered) * terms.ResultPayoutMicros;
        var rerun = Math.Min(owed, left);
        left -= rerun;
        if (rerun > 0)
            transfers.Add(new(stake, terms.Requester, rerun,
                $"the recomputation of {charge.Unanswered} result(s) left unanswered"));
        var slash = charge.TakesSlash ? Math.Min(terms.SlashMicros, left) : 0;
        var share = slash * Math.Clamp(terms.RequesterShareBps, 0, 10_000) / 10_000;
        const string why = "the slash for refusal";
        if (share > 0) transfers.Add(new(stake, terms.Requester, share, why + ", the requester's share"));
        if (slash - share > 0) transfers.Add(new(stake, terms.Treasury, slash - share, why + ", the treasury's share"));
        var shortfall = owed - rerun + (charge.TakesSlash ? terms.SlashMicros - slash : 0);
        return new PurgePlan(transfers, Math.Max(0, charge.Unanswered), shortfall, 0);
    }
}
