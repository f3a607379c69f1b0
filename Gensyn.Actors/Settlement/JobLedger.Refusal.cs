using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Settlement;

/// <summary>
/// A conviction for refusal's money (the plan: Purge/PurgeMoney.Refusal), as settlement orders fixed when the journal
/// records the charge (<see cref="RefusalCharged"/>): out of the convicted stake, a restitution (a slash with all of
/// it to the requester, its own evidence hash) of the recomputation of each challenge the key left unanswered in the
/// job, then, in the one job whose verdict convicted the key, the conviction's slash, split as today, citing the
/// conviction's evidence hash. Each has a settlement id of its own, so the outbox settles it once whatever restarts
/// follow.
/// </summary>
public sealed partial class JobLedger
{
    private void Charge(RefusalCharged c)
    {
        if (Payer is null || string.IsNullOrEmpty(c.Address)) return;
        Restitution(c.Address, Math.Max(0, c.Unanswered), c.Round, $"refusal-{c.EvidenceHash.ToLowerInvariant()}");
        if (!c.TakesSlash) return;
        // The conviction's own evidence hash; one the chain cannot take (not 32 bytes of hex) is replaced by the
        // keccak-256 of the charge's canonical text, so that the slash is never stuck on it.
        var evidence = IsHash(c.EvidenceHash)
            ? c.EvidenceHash.ToLowerInvariant()
            : EscrowIds.Hex(EscrowIds.EvidenceHash($"gensyn-refusal|{JobId}|{c.Address.ToLowerInvariant()}|" +
                                                   c.EvidenceHash));
        var id = Id(JobId, $"slash-refusal-{evidence}");
        if (_held.Any(h => h.SettlementId == id)) return;
        _held.Add(new SettlementOrder(id, JobId, SettlementKind.Slash, c.Round, [], 0, 0, Provider: c.Address,
            EvidenceHash: evidence, Requester: Payer));
    }
}
