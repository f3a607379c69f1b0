using Gensyn.Contracts;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Settlement;

/// <summary>
/// A job's money, without actors or a chain: who pays, which verified results earn what, which frauds are slashed,
/// and which settlement orders are still due. Every accepted result of a round earns its worker the payout of the price
/// the job locked when it started (<see cref="Market.JobPricing"/>: its H steps' compute-hours at the locked price per
/// compute-hour; a job from before prices came from the market: H steps at its spec's retired price-per-step); a round is paid once it completes with a match rate of at least 95% (the escrow refuses less); each fraud
/// (a replayed step that disagrees with the worker's signed commitment) slashes that worker's stake, citing the
/// evidence's hash; faults (no answer, a dead worker) and invalid answers are never slashed. When the job ends, the
/// escrow is released (completed) or cancelled (failed, cancelled), refunding what was not paid out. A purge's money
/// (revoked results, rolled-back rounds): JobLedger.Purge.cs; a refusal's: JobLedger.Refusal.cs.
/// </summary>
public sealed partial class JobLedger
{
    private readonly Dictionary<int, List<SettlementPayee>> _payees = [];
    private readonly List<ShardVerified> _frauds = [];
    private readonly Dictionary<string, SettlementPosted> _posted = [];
    private readonly List<string> _postedOrder = [];

    /// <summary>The requester's address; null for a job on a network that does not settle.</summary>
    public string? Payer { get; private set; }
    public long DepositMicros { get; private set; }

    /// <summary>The price the job locked when it started; null for a job from before prices came from the market.</summary>
    public JobPrice? Price { get; private set; }

    /// <summary>What each accepted shard result earns its worker, in micro-GENS.</summary>
    public long ResultPayoutMicros { get; private set; }

    /// <summary>The job's id ("" in a ledger restored by a caller that did not name it).</summary>
    public JobId JobId { get; private set; }

    public bool Posted(string settlementId) => _posted.ContainsKey(settlementId);

    /// <param name="e">The event.</param>
    /// <param name="spec">The job's spec (null: unreadable).</param>
    /// <param name="history">The job's completed rounds before <paramref name="e"/> (a purge needs to know which
    /// rounds' payouts were already due).</param>
    public void Apply(IJobEvent e, JobSpec? spec, IReadOnlyList<RoundView>? history = null)
    {
        if (history is not null) ForgetVerdictsOfDueRounds(history);
        if (e is ShardVerified judged) Judged(judged);
        switch (e)
        {
            case JobSubmitted s:
                JobId = s.JobId;
                Payer = s.Payer;
                DepositMicros = s.DepositMicros;
                Price = s.Price;
                ResultPayoutMicros = PayoutOf(s.Price, s.SpecYaml, spec);
                break;
            case ShardVerified { Outcome: VerdictOutcome.Accepted } v when spec is not null:
                if (!_payees.TryGetValue(v.Round, out var list)) _payees[v.Round] = list = [];
                list.Add(new SettlementPayee(v.WorkerId, v.WorkerAddress, ResultPayoutMicros));
                break;
            case ShardVerified { Outcome: VerdictOutcome.Fraud } fraud:
                _frauds.Add(fraud);
                break;
            case SettlementPosted posted when !_posted.ContainsKey(posted.Order.SettlementId):
                _posted[posted.Order.SettlementId] = posted;
                _postedOrder.Add(posted.Order.SettlementId);
                break;
            case ResultRevoked revoked:
                Revoke(revoked, history ?? []);
                break;
            case RoundsRolledBack rollback:
                RollBack(rollback, history ?? []);
                break;
            case RefusalCharged charged:
                Charge(charged);
                break;
            case JobReopened:
                _reopened = true;
                break;
        }
    }

    /// <summary>The orders the job still needs on chain, in the order they must be settled (the escrow's close last).</summary>
    public IReadOnlyList<SettlementOrder> Due(JobId jobId, IReadOnlyList<RoundView> history, JobPhase phase)
    {
        if (Payer is null) return [];
        var orders = new List<SettlementOrder>();
        foreach (var round in history.Where(r => r.Paid && _payees.ContainsKey(r.Round) && !AuditFunded(r.Round)))
            if (RoundPayout(jobId, round) is { Payees.Count: > 0 } payout) orders.Add(payout);
        orders.AddRange(_held);
        orders.AddRange(AuditOrders(history));
        foreach (var fraud in _frauds.Where(f => f.WorkerAddress.Length > 0))
            orders.Add(new SettlementOrder(Id(jobId, FraudStep(fraud)), jobId, SettlementKind.Slash, fraud.Round, [], 0, 0,
                Provider: fraud.WorkerAddress, EvidenceHash: EscrowIds.Hex(EscrowIds.EvidenceHash(Evidence(jobId, fraud))), Requester: Payer));
        if (phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled && orders.All(o => Posted(o.SettlementId)))
        {
            var kind = phase == JobPhase.Completed ? SettlementKind.Complete : SettlementKind.Cancel;
            orders.Add(new SettlementOrder(Id(jobId, kind == SettlementKind.Complete ? "complete" : "cancel"), jobId, kind, -1, [], 0, 0, Requester: Payer));
        }
        return orders.Where(o => !Posted(o.SettlementId)).ToList();
    }

    /// <summary>Whether <paramref name="order"/> is the slash of a fraud verdict (not a restitution, nor a revoked
    /// result's slash).</summary>
    public bool FraudSlash(SettlementOrder order) =>
        order.Kind == SettlementKind.Slash && _frauds.Any(f => Id(JobId, FraudStep(f)) == order.SettlementId);

    private static string FraudStep(ShardVerified fraud) => $"slash-{fraud.Round}-{fraud.Shard}-{fraud.Epoch}";

    /// <summary>The payout of a completed, paid round of the current generation: nothing to the keys convicted in
    /// the job when it completed (<see cref="RoundView.Convicted"/>).</summary>
    private SettlementOrder RoundPayout(JobId jobId, RoundView round)
    {
        var payees = PayeesOf(round);
        var (accepted, judged) = Counts(round, payees.Count);
        return new SettlementOrder(Id(jobId, RoundStep(round.Round)), jobId, SettlementKind.PayRound, round.Round,
            Grouped(payees), accepted, judged);
    }

    /// <summary>The payee entries round <paramref name="round"/> pays: its accepted results, less the convicted
    /// keys'.</summary>
    private List<SettlementPayee> PayeesOf(RoundView round) =>
        _payees[round.Round].Where(p => round.Convicted?.Contains(p.Address, StringComparer.OrdinalIgnoreCase) != true)
            .ToList();

    /// <summary>A round's payees, one per key (its worker ids joined with "+").</summary>
    private static List<SettlementPayee> Grouped(IEnumerable<SettlementPayee> payees) =>
        payees.GroupBy(p => p.Address, StringComparer.OrdinalIgnoreCase)
            .Select(g => new SettlementPayee(string.Join("+", g.Select(p => p.WorkerId).Distinct()), g.First().Address,
                g.Sum(p => p.Micros)))
            .ToList();

    /// <summary>
    /// The accepted and judged result counts the escrow is shown for <paramref name="round"/>. A round recorded before the counts
    /// were kept has its accepted results (one per payee entry) and the judged count that its match rate implies.
    /// </summary>
    private static (int Accepted, int Judged) Counts(RoundView round, int acceptedResults) =>
        round.Judged > 0 ? (round.Accepted, round.Judged)
        : (acceptedResults, round.MatchRate <= 0 ? acceptedResults : (int)Math.Round(acceptedResults / round.MatchRate));

    private static string Id(string jobId, string step) => EscrowIds.Hex(EscrowIds.SettlementId(jobId, step));

    /// <summary>The canonical text of a fraud's evidence; its keccak-256 is recorded on chain with the slash.</summary>
    public static string Evidence(string jobId, ShardVerified f) =>
        $"gensyn-fraud|{jobId}|round {f.Round}|shard {f.Shard}|epoch {f.Epoch}|worker {f.WorkerId}|{f.WorkerAddress}|root {f.MerkleRoot}|" +
        $"step {f.Step}|expected {f.Expected}|claimed {f.Claimed}|result-signature {f.ResultSignature}|claim-signature {f.ClaimSignature}";

    public MoneyView? View(JobId jobId, IReadOnlyList<RoundView> history, JobPhase phase)
    {
        if (Payer is null) return null;
        var posted = _postedOrder.Select(id => _posted[id]).ToList();
        long Sum(SettlementKind kind) => posted.Where(p => p.Order.Kind == kind && p.Outcome.Status == SettlementStatus.Confirmed).Sum(p => p.Outcome.AmountMicros);
        return new MoneyView(Payer, DepositMicros, Sum(SettlementKind.PayRound), Sum(SettlementKind.Complete) + Sum(SettlementKind.Cancel),
            posted.Select(p => new SettlementView(p.Order.Label, p.Order.Kind, p.Outcome.Status, p.Outcome.TxHash, p.Outcome.GasUsed, p.Outcome.AmountMicros,
                p.Outcome.Reason, p.Order.Payees, p.Order.EvidenceHash, p.Order.Provider, p.Order.SlashMicros)).ToList(),
            Due(jobId, history, phase).Select(o => o.Label).ToList());
    }

    public SettlementSnapshot? ToSnapshot() => Payer is null
        ? null
        : PurgeSnapshot(new SettlementSnapshot(Payer, DepositMicros,
            _payees.OrderBy(p => p.Key).Select(p => new RoundPayees(p.Key, p.Value.ToList())).ToList(),
            _frauds.ToList(), _postedOrder.Select(id => _posted[id]).ToList()));

    /// <summary>The locked payout, or for a job from before prices came from the market H steps at its spec's retired price-per-step.</summary>
    private static long PayoutOf(JobPrice? price, string specYaml, JobSpec? spec) =>
        price?.ResultPayoutMicros ?? (spec is null ? 0 : spec.InnerSteps * Gens.ToMicros(JobSpecParser.RetiredPricePerStepOf(specYaml)));

    /// <summary>The ledger a job snapshot describes: its money (<paramref name="s"/>) and the price it locked.</summary>
    public static JobLedger FromSnapshot(SettlementSnapshot? s, JobPrice? price, string specYaml, JobSpec? spec,
                                         JobId jobId = default)
    {
        var ledger = new JobLedger
        {
            JobId = jobId, Price = price, ResultPayoutMicros = PayoutOf(price, specYaml, spec),
        };
        if (s is null) return ledger;
        (ledger.Payer, ledger.DepositMicros) = (s.Payer, s.DepositMicros);
        foreach (var round in s.Payees) ledger._payees[round.Round] = round.Payees.ToList();
        ledger._frauds.AddRange(s.Frauds);
        foreach (var posted in s.Posted) ledger.Apply(posted, null);
        ledger.RestorePurge(s);
        return ledger;
    }
}
