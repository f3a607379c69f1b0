namespace Gensyn.Contracts.Messages;

// Settlement: which chain a network settles on, the orders a JobActor gives the SettlementActor (a cluster
// singleton, the only signer of the settlement authority's key), the outcomes it reports back, and its outbox journal.

/// <summary>Ask any coordinator (/user/jobs) which chain settles its jobs: <see cref="ChainInfo"/>, <see cref="NoChain"/>, or a <see cref="RequestFailed"/> while it cannot tell yet.</summary>
public sealed record GetChainInfo : IGensynMessage;

/// <summary>The network does not settle on chain: jobs need no deposit and providers no stake.</summary>
public sealed record NoChain(string Reason) : IGensynMessage;

/// <summary>
/// The chain and contracts a network settles on. <see cref="IsDevnet"/>: a local anvil the coordinator started, where
/// anvil's dev accounts may fund wallets. <see cref="MinimumStakeMicros"/>: what a provider must stake to register.
/// </summary>
public sealed record ChainInfo(string RpcUrl, int ChainId, string Token, string Staking, string Escrow, bool IsDevnet, long MinimumStakeMicros, string SettlementAuthority)
    : IGensynMessage;

/// <summary>Deposit: the settlement account opens an escrow of its own (an audit's recomputation, paid by the
/// convicted stake).</summary>
public enum SettlementKind { PayRound, Slash, Complete, Cancel, Deposit }

/// <summary>One worker's share of a round's payout.</summary>
public sealed record SettlementPayee(string WorkerId, string Address, long Micros);

/// <summary>
/// One transaction a job needs on chain. <see cref="SettlementId"/> (hex, 32 bytes) is derived from the job and the step, so
/// sending the same order twice is harmless: the SettlementActor settles each id once, and so does the escrow contract.
/// PayRound: <see cref="Payees"/>, for a round in which <see cref="Accepted"/> of <see cref="Judged"/> verified
/// results were accepted (the escrow computes the match rate from these counts and refuses a round under 95%); Slash: <see cref="Provider"/> for <see cref="EvidenceHash"/>,
/// part of it to <see cref="Requester"/>; Complete/Cancel: release the escrow, refund the rest to the requester.
/// A slash with <see cref="SlashMicros"/> set takes that amount (at most the stake) instead of
/// <c>gensyn.settlement.slash-amount</c>, and <see cref="RequesterShareBps"/> (when set) of it goes to the requester:
/// a purge's restitution is such a slash, all of it to the requester. <see cref="Escrow"/> names the escrow job an
/// order settles when it is not the job's own (an audit's recomputation, whose deposit of
/// <see cref="DepositMicros"/> the settlement account makes); a <see cref="Requester"/> of
/// <see cref="SettlementAccount"/> is the settlement key.
/// </summary>
public sealed record SettlementOrder(
    string SettlementId,
    JobId JobId,
    SettlementKind Kind,
    int Round,
    IReadOnlyList<SettlementPayee> Payees,
    int Accepted,
    int Judged,
    string? Provider = null,
    string? EvidenceHash = null,
    string? Requester = null,
    long? SlashMicros = null,
    int? RequesterShareBps = null,
    string? Escrow = null,
    long? DepositMicros = null) : IGensynMessage
{
    /// <summary>The <see cref="Requester"/> that stands for the coordinator's settlement key (its address is the
    /// chain's, not the ledger's, to know).</summary>
    public const string SettlementAccount = "settlement-account";

    /// <summary>A slash that pays the requester back what a convicted provider cost (a purge), not a fraud's
    /// penalty.</summary>
    public bool IsRestitution => Kind == SettlementKind.Slash && SlashMicros is not null;

    public long TotalMicros => Payees.Sum(p => p.Micros);

    /// <summary>The round's match rate in basis points, rounded down as the escrow computes it (0 for an order that is not a payout).</summary>
    public int MatchRateBps => Judged <= 0 ? 0 : (int)((long)Accepted * 10_000 / Judged);

    public string Label => Kind switch
    {
        SettlementKind.PayRound when Escrow is not null => $"round {Round + 1} payout (audit)",
        SettlementKind.PayRound => $"round {Round + 1} payout",
        SettlementKind.Slash when IsRestitution && Requester == SettlementAccount => $"audit charge from {Provider}",
        SettlementKind.Slash when IsRestitution => $"restitution from {Provider}",
        SettlementKind.Deposit => $"audit escrow deposit for round {Round + 1}",
        SettlementKind.Slash => $"slash of {Provider}",
        SettlementKind.Complete => "escrow release",
        _ => "escrow cancel",
    };
}

public enum SettlementStatus { Confirmed, Reverted, Skipped }

/// <summary>
/// What became of an order (sent to the job's entity): mined (<see cref="TxHash"/>, gas), reverted on chain (the decoded
/// reason), or skipped (nothing to do, e.g. a slash of a provider without stake). <see cref="AmountMicros"/>: what moved.
/// <see cref="FoundOnChain"/>: the order was found already settled on chain (sent before a restart, or by another
/// copy), so it was not sent again (false in journals written before it was recorded).
/// </summary>
public sealed record SettlementSettled(
    JobId JobId,
    string SettlementId,
    SettlementKind Kind,
    SettlementStatus Status,
    string? TxHash,
    long GasUsed,
    long AmountMicros,
    string Reason,
    DateTimeOffset At,
    bool FoundOnChain = false) : IJobCommand;

// The SettlementActor's outbox journal: an order is persisted before its transaction is sent, the hash as soon as it is
// known, and the outcome once the receipt is seen. A restart resumes each unfinished order by its hash or, failing that,
// by looking for its settlement id on chain, and sends again only what the chain never saw.

public interface ISettlementEvent : IGensynMessage;

public sealed record SettlementIntended(SettlementOrder Order, DateTimeOffset At) : ISettlementEvent;

public sealed record SettlementSent(string SettlementId, string TxHash, DateTimeOffset At) : ISettlementEvent;

public sealed record SettlementFinished(SettlementSettled Outcome) : ISettlementEvent;

/// <summary>The outbox's whole state, saved every so many events so that a recovery (a singleton hand-over) replays only the rest.</summary>
public sealed record SettlementOutboxSnapshot(IReadOnlyList<OutboxEntry> Entries, IReadOnlyList<string> Queue) : IPersistedOnly;

/// <summary>One order in a <see cref="SettlementOutboxSnapshot"/>: its hash once sent, its outcome once finished.</summary>
public sealed record OutboxEntry(SettlementOrder Order, string? TxHash, SettlementSettled? Outcome);

/// <summary>A job's money as `status` shows it: the deposit, what was paid, slashed and refunded, and every transaction.</summary>
public sealed record MoneyView(
    string Payer,
    long DepositMicros,
    long PaidMicros,
    long RefundedMicros,
    IReadOnlyList<SettlementView> Settlements,
    IReadOnlyList<string> Pending)
{
    /// <summary>Each worker's total over the job's confirmed payouts, by worker id.</summary>
    public IReadOnlyList<SettlementPayee> PaidPerWorker() =>
        Settlements.Where(s => s is { Kind: SettlementKind.PayRound, Status: SettlementStatus.Confirmed }).SelectMany(s => s.Payees)
            .GroupBy(p => p.Address, StringComparer.OrdinalIgnoreCase)
            .Select(g => new SettlementPayee(g.First().WorkerId, g.Key, g.Sum(p => p.Micros))).OrderBy(p => p.WorkerId, StringComparer.Ordinal).ToList();
}

/// <summary>One settlement of a job; <see cref="EvidenceHash"/> is what a slash recorded on chain;
/// <see cref="RequestedMicros"/> what a slash of a set amount (a restitution) asked of the stake, whatever it
/// took.</summary>
public sealed record SettlementView(string Label, SettlementKind Kind, SettlementStatus Status, string? TxHash, long GasUsed, long AmountMicros, string Reason,
    IReadOnlyList<SettlementPayee> Payees, string? EvidenceHash = null, string? Provider = null,
    [property: System.Text.Json.Serialization.JsonIgnore(
        Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    long? RequestedMicros = null);
