using System.Collections.Immutable;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>How a round's payout is decided: its match rate against <see cref="PaymentThreshold"/>.</summary>
/// <param name="Accepted">The counted verdicts that accepted a result.</param>
/// <param name="Judged">The counted verdicts.</param>
/// <param name="Convicted">The keys convicted in the job with verdicts in the round: not counted, not paid.</param>
public sealed record RoundPayment(int Accepted, int Judged, IReadOnlyList<string> Convicted)
{
    public double MatchRate => Judged == 0 ? 1.0 : (double)Accepted / Judged;

    /// <summary>Paid at the threshold or above; a round whose every verdict is a convicted key's has nobody to
    /// pay.</summary>
    public bool Paid => Judged > 0 ? Accepted >= JobState.PaymentThreshold * Judged : Convicted.Count == 0;
}

// Who a round pays. A key convicted by the job's own journal (a fraud verdict or an invalid answer, each of which
// convicts at once, or a revoked result) is judged by its own verdicts only: they do not count against the others
// in the payment threshold, and the round pays it nothing. A purge's discarded rounds are paid by the same rule
// (Purge/PurgeMoney.cs, Settlement/JobLedger.Purge.cs: the convicted key's verdicts do not count).
public sealed partial record JobState
{
    /// <summary>The open round's verdicts by key, in journal order (a revoked result's turns to rejected).</summary>
    public ImmutableList<RoundVerdict> RoundVerdicts { get; private init; } = [];

    /// <summary>The keys the job's journal convicts: a fraud verdict, an invalid answer, a revoked result.</summary>
    public ImmutableHashSet<string> ConvictedAddresses { get; private init; } =
        ImmutableHashSet.Create<string>(StringComparer.OrdinalIgnoreCase);

    public int RoundAccepted => RoundVerdicts.Count(v => v.Accepted);
    public int RoundRejected => RoundVerdicts.Count - RoundAccepted;

    /// <summary>The open round's payment: its verdicts, less those of the <paramref name="convicted"/> keys. The
    /// decision records them (<see cref="RoundCompleted.Uncounted"/>), so that a journal replays to the payments it
    /// made; one written before the rule (null) counts every verdict, as it did.</summary>
    public RoundPayment RoundPayment(IReadOnlyCollection<string>? convicted)
    {
        var keys = ImmutableHashSet.CreateRange(StringComparer.OrdinalIgnoreCase, convicted ?? []);
        bool Convicts(string address) => address.Length > 0 && keys.Contains(address);
        var counted = RoundVerdicts.Where(v => !Convicts(v.Address)).ToList();
        var found = RoundVerdicts.Where(v => Convicts(v.Address)).Select(v => v.Address.ToLowerInvariant())
            .Distinct().Order(StringComparer.Ordinal).ToList();
        return new RoundPayment(counted.Count(v => v.Accepted), counted.Count, found);
    }

    /// <summary>A verdict joins the open round's; one that convicts (fraud, an invalid answer) convicts its
    /// key.</summary>
    private JobState Counted(ShardVerified v) => this with
    {
        RoundVerdicts = RoundVerdicts.Add(new RoundVerdict(v.WorkerAddress, v.Outcome == VerdictOutcome.Accepted)),
        ConvictedAddresses = v.Outcome is VerdictOutcome.Fraud or VerdictOutcome.Invalid
            ? Convict(v.WorkerAddress) : ConvictedAddresses,
    };

    /// <summary>A revoked result convicts its key, and in the open round its accepted verdict turns to
    /// rejected.</summary>
    private JobState CountedRevoked(ResultRevoked r, bool open)
    {
        var verdicts = RoundVerdicts;
        if (open)
        {
            var i = verdicts.FindIndex(v => v.Accepted && string.Equals(v.Address, r.WorkerAddress,
                StringComparison.OrdinalIgnoreCase));
            if (i < 0) i = verdicts.FindIndex(v => v.Accepted);
            verdicts = i < 0
                ? verdicts.Add(new RoundVerdict(r.WorkerAddress, false))
                : verdicts.SetItem(i, verdicts[i] with { Accepted = false });
        }
        return this with { RoundVerdicts = verdicts, ConvictedAddresses = Convict(r.WorkerAddress) };
    }

    private ImmutableHashSet<string> Convict(string address) =>
        string.IsNullOrEmpty(address) ? ConvictedAddresses : ConvictedAddresses.Add(address.ToLowerInvariant());

    /// <summary>The round verdicts a snapshot holds, or for one from before they were kept, its counts (by no
    /// key).</summary>
    private static ImmutableList<RoundVerdict> RoundVerdictsOf(ResultTally t) =>
        t.RoundVerdicts is { } kept
            ? [.. kept]
            : [.. Enumerable.Repeat(new RoundVerdict("", true), t.RoundAccepted),
                .. Enumerable.Repeat(new RoundVerdict("", false), t.RoundRejected)];
}
