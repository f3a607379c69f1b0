using Gensyn.Actors.Jobs;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Settlement;

/// <summary>
/// A purge's money (the plan: Purge/PurgeMoney), as settlement orders fixed when the journal records the purge, so
/// that the outbox settles each once whatever restarts follow:
/// <list type="bullet">
/// <item>a revoked result of a round whose payout is not yet due loses its payee entry (the round never pays it);
/// a payout already due is never changed (its order may be on chain), and is paid back instead;</item>
/// <item>a rollback keeps the due payouts of the rounds it discards, pays honest keys' verified work in discarded
/// rounds not yet due (their own verdicts reaching the payment threshold, counted without the convicted key's), and
/// moves each discarded round to a new generation, whose payout has its own settlement id ("round-R-gN");</item>
/// <item>out of the convicted stake, a restitution (a slash with all of it to the requester, its own evidence hash)
/// of the payouts made for its revoked results and of the recomputation (every accepted result of a discarded round
/// and each revoked result of the open round, at the job's locked payout), then the slash of each revoked result
/// that is fraud, split as today, citing the revocation's evidence hash.</item>
/// </list>
/// A job nobody was convicted in has none of this: its orders and ids are those it had before purges.
/// </summary>
public sealed partial class JobLedger
{
    /// <summary>The restitution's requester share: all of it.</summary>
    public const int RestitutionShareBps = 10_000;

    private readonly Dictionary<int, int> _generation = [];
    private readonly List<LedgerVerdict> _verdicts = [];
    private readonly List<ResultRevoked> _revoked = [];
    private readonly List<ResultRevoked> _pending = [];
    private readonly List<SettlementOrder> _held = [];

    /// <summary>How many rollbacks discarded round <paramref name="round"/>.</summary>
    public int GenerationOf(int round) => _generation.GetValueOrDefault(round);

    /// <summary>The settlement step of round <paramref name="round"/>'s payout: "round-R" in its first generation
    /// (as before purges), "round-R-gN" once N rollbacks discarded it; the escrow accepts each once.</summary>
    public string RoundStep(int round) =>
        GenerationOf(round) is var g and > 0 ? $"round-{round}-g{g}" : $"round-{round}";

    /// <summary>The results revoked in this job, in journal order.</summary>
    public IReadOnlyList<ResultRevoked> Revoked => _revoked;

    private void Judged(ShardVerified v) =>
        _verdicts.Add(new LedgerVerdict(v.Round, v.Shard, v.Epoch, v.WorkerId, v.WorkerAddress,
            v.Outcome == VerdictOutcome.Accepted));

    /// <summary>
    /// Verdicts are kept for a purge only while their round's payout is not due: a due payout is never changed, and
    /// its payee entries (one per accepted result) are all a rollback needs of it.
    /// </summary>
    private void ForgetVerdictsOfDueRounds(IReadOnlyList<RoundView> history)
    {
        if (_verdicts.Count > 0) _verdicts.RemoveAll(x => PayoutDue(history, x.Round));
    }

    private static bool Same(ResultRevoked a, int round, int shard, int epoch, string workerId) =>
        a.Round == round && a.Shard == shard && a.Epoch == epoch && a.WorkerId == workerId;

    /// <summary>Whether round <paramref name="round"/>'s payout was due: its order may already be on chain.</summary>
    private bool PayoutDue(IReadOnlyList<RoundView> history, int round) =>
        history.Any(h => h.Round == round && h.Paid) && _payees.ContainsKey(round);

    private void Revoke(ResultRevoked r, IReadOnlyList<RoundView> history)
    {
        if (Payer is null || _revoked.Any(x => Same(x, r.Round, r.Shard, r.Epoch, r.WorkerId))) return;
        _revoked.Add(r);
        var paid = PayoutDue(history, r.Round);
        if (!paid && _payees.TryGetValue(r.Round, out var payees))
        {
            var entry = payees.FindIndex(p => p.WorkerId == r.WorkerId
                                              && string.Equals(p.Address, r.WorkerAddress,
                                                  StringComparison.OrdinalIgnoreCase));
            if (entry >= 0) payees.RemoveAt(entry);
            if (payees.Count == 0) _payees.Remove(r.Round);
        }
        if (r.Aggregated)
        {
            // A rollback follows: it charges the recomputation and this result's payout together.
            _pending.Add(r);
            return;
        }
        // A result of the open round: only its shard runs again.
        var open = history.All(h => h.Round != r.Round);
        Restitution(r.WorkerAddress, (paid ? 1 : 0) + (open ? 1 : 0), r.Round, $"rerun-{r.EvidenceHash}");
        RevocationSlash(r);
    }

    private void RollBack(RoundsRolledBack b, IReadOnlyList<RoundView> history)
    {
        if (Payer is null) return;
        var convicted = _revoked.Select(x => x.WorkerAddress).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var reruns = _revoked.Where(x => !x.Aggregated).ToList();
        var payouts = new List<SettlementOrder>();
        var unposted = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var recomputed = 0;
        // Before the loop below moves the discarded rounds on: whose payouts were due.
        var paidBack = _pending.Where(p => PayoutDue(history, p.Round))
            .GroupBy(p => p.WorkerAddress, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Count(),
                StringComparer.OrdinalIgnoreCase);
        foreach (var round in b.DiscardedRounds.Distinct().Order())
        {
            var verdicts = _verdicts.Where(v => v.Round == round).ToList();
            // A round whose payout was due (its verdicts are not kept), or one judged before the ledger kept
            // verdicts (a snapshot from before purges): its payee entries, one per accepted result.
            if (verdicts.Count == 0)
                verdicts = _payees.GetValueOrDefault(round)?.Select(p => new LedgerVerdict(round, -1, -1, p.WorkerId,
                    p.Address, true)).ToList() ?? [];
            recomputed += verdicts.Count(v => v.Accepted
                                              && !reruns.Any(x => Same(x, round, v.Shard, v.Epoch, v.WorkerId)));
            if (PayoutDue(history, round))
            {
                var due = RoundPayout(JobId, history.First(h => h.Round == round));
                payouts.Add(due);
                // Not yet confirmed: the convicted key earns nothing for a discarded round, so what this payout
                // gives it for results that still stand is paid back too (its revoked ones are, below).
                if (!Posted(due.SettlementId)) ChargeBack(due, convicted, unposted);
            }
            else if (HonestPayout(round, verdicts, convicted) is { } honest) payouts.Add(honest);
            _generation[round] = GenerationOf(round) + 1;
            _payees.Remove(round);
            _verdicts.RemoveAll(v => v.Round == round);
        }
        _held.AddRange(payouts.Where(p => !_held.Any(h => h.SettlementId == p.SettlementId)));

        var cause = _revoked.LastOrDefault(x => x.EvidenceHash == b.EvidenceHash)?.WorkerAddress
                    ?? _pending.FirstOrDefault()?.WorkerAddress;
        foreach (var (address, count) in unposted) paidBack[address] = paidBack.GetValueOrDefault(address) + count;
        if (cause is not null)
            Restitution(cause, paidBack.GetValueOrDefault(cause) + (AuditFunds(b, cause) ? 0 : recomputed), b.FromRound,
                $"rollback-{b.EvidenceHash}");
        foreach (var (address, count) in paidBack.Where(p => cause is null
                                                             || !string.Equals(p.Key, cause,
                                                                 StringComparison.OrdinalIgnoreCase)))
            Restitution(address, count, b.FromRound, $"rollback-{b.EvidenceHash}-{address.ToLowerInvariant()}");
        foreach (var p in _pending) RevocationSlash(p);
        _pending.Clear();
    }

    /// <summary>Counts, per convicted key, its payee entries in <paramref name="payout"/> that no revocation
    /// names.</summary>
    private void ChargeBack(SettlementOrder payout, HashSet<string> convicted, Dictionary<string, int> into)
    {
        var round = payout.Round;
        foreach (var key in _payees[round].Where(p => convicted.Contains(p.Address)
                                                      && payout.Payees.Any(x => x.Address.Equals(p.Address,
                                                          StringComparison.OrdinalIgnoreCase)))
                     .GroupBy(p => p.Address, StringComparer.OrdinalIgnoreCase))
        {
            var revoked = _revoked.Count(r => r.Round == round
                                              && string.Equals(r.WorkerAddress, key.Key,
                                                  StringComparison.OrdinalIgnoreCase));
            if (key.Count() > revoked) into[key.Key] = into.GetValueOrDefault(key.Key) + key.Count() - revoked;
        }
    }

    /// <summary>
    /// Honest keys' verified work in discarded round <paramref name="round"/>, paid as the round would have been:
    /// when their own accepted results reach the payment threshold of their own verdicts; null when nothing is owed.
    /// </summary>
    private SettlementOrder? HonestPayout(int round, List<LedgerVerdict> verdicts, HashSet<string> convicted)
    {
        var honest = verdicts.Where(v => !convicted.Contains(v.Address)).ToList();
        var accepted = honest.Count(v => v.Accepted);
        if (honest.Count == 0 || accepted < JobState.PaymentThreshold * honest.Count) return null;
        var payees = _payees.GetValueOrDefault(round)?.Where(p => !convicted.Contains(p.Address)).ToList() ?? [];
        return payees.Count == 0
            ? null
            : new SettlementOrder(Id(JobId, RoundStep(round)), JobId, SettlementKind.PayRound, round, Grouped(payees),
                accepted, honest.Count);
    }

    /// <summary>A slash of <paramref name="results"/> locked payouts from <paramref name="provider"/>'s stake, all
    /// of it to the requester, citing its own evidence (<paramref name="step"/> names the revocation or
    /// rollback).</summary>
    private void Restitution(string provider, int results, int round, string step)
    {
        var micros = results * ResultPayoutMicros;
        if (micros <= 0 || string.IsNullOrEmpty(provider)) return;
        var id = Id(JobId, $"restitution-{step}");
        if (_held.Any(h => h.SettlementId == id)) return;
        var evidence = EscrowIds.Hex(EscrowIds.EvidenceHash(RestitutionEvidence(JobId, step, provider, micros)));
        _held.Add(new SettlementOrder(id, JobId, SettlementKind.Slash, round, [], 0, 0, Provider: provider,
            EvidenceHash: evidence, Requester: Payer, SlashMicros: micros, RequesterShareBps: RestitutionShareBps));
    }

    /// <summary>The canonical text of a restitution's evidence; its keccak-256 is recorded on chain with it.</summary>
    public static string RestitutionEvidence(string jobId, string step, string provider, long micros) =>
        $"gensyn-restitution|{jobId}|{step}|{provider.ToLowerInvariant()}|{micros}";

    /// <summary>The slash of a revoked result that is fraud, split as today, once per evidence hash.</summary>
    private void RevocationSlash(ResultRevoked r)
    {
        if (r.Outcome != VerdictOutcome.Fraud || r.WorkerAddress.Length == 0) return;
        // The revocation's own evidence hash; one the chain cannot take (not 32 bytes of hex) is replaced by the
        // keccak-256 of the revocation's canonical text, so that the slash is never stuck on it.
        var evidence = IsHash(r.EvidenceHash)
            ? r.EvidenceHash.ToLowerInvariant()
            : EscrowIds.Hex(EscrowIds.EvidenceHash($"gensyn-revoked|{JobId}|round {r.Round}|shard {r.Shard}|" +
                                                   $"epoch {r.Epoch}|worker {r.WorkerId}|{r.WorkerAddress}|" +
                                                   $"root {r.MerkleRoot}|{r.EvidenceHash}"));
        var used = _frauds.Select(f => EscrowIds.Hex(EscrowIds.EvidenceHash(Evidence(JobId, f))))
            .Concat(_held.Select(h => h.EvidenceHash ?? ""));
        if (used.Contains(evidence, StringComparer.OrdinalIgnoreCase)) return;
        _held.Add(new SettlementOrder(Id(JobId, $"slash-revoked-{r.Round}-{r.Shard}-{r.Epoch}-{r.WorkerId}"), JobId,
            SettlementKind.Slash, r.Round, [], 0, 0, Provider: r.WorkerAddress, EvidenceHash: evidence,
            Requester: Payer));
    }

    private static bool IsHash(string hex) =>
        hex.Length == 66 && hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                         && hex[2..].All(char.IsAsciiHexDigit);

    private SettlementSnapshot PurgeSnapshot(SettlementSnapshot s) => s with
    {
        Generations = _generation.Count == 0
            ? null : _generation.OrderBy(g => g.Key).Select(g => new RoundGeneration(g.Key, g.Value)).ToList(),
        Verdicts = _verdicts.Count == 0 ? null : _verdicts.ToList(),
        Revoked = _revoked.Count == 0 ? null : _revoked.ToList(),
        Pending = _pending.Count == 0 ? null : _pending.ToList(),
        Held = _held.Count == 0 ? null : _held.ToList(),
        Audit = AuditSnapshot(),
    };

    private void RestorePurge(SettlementSnapshot s)
    {
        foreach (var g in s.Generations ?? []) _generation[g.Round] = g.Generation;
        _verdicts.AddRange(s.Verdicts ?? []);
        _revoked.AddRange(s.Revoked ?? []);
        _pending.AddRange(s.Pending ?? []);
        _held.AddRange(s.Held ?? []);
        RestoreAudit(s.Audit);
    }
}
