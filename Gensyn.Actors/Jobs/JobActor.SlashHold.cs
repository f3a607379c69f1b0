using Akka.Actor;
using Gensyn.Actors.Purge;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

// A fraud verdict convicts its key, and the conviction purges the key's work here: its restitution (the payouts its
// revoked results took and the cost of recomputing them) must come out of its stake before the verdict's slash, which
// may take all of it. So while this job purges a key, the key's fraud slashes are not sent: they go once the purge has
// concluded here (every result of the key verified again, the rollback journalled), after the restitution, and at the
// latest when the job ends. Orders run oldest first on chain, so the restitution is taken first.
public sealed partial class JobActor
{
    /// <summary>Per convicted key, its results here still to be verified again (retries included).</summary>
    private readonly Dictionary<string, HashSet<(int Round, int Shard, int Epoch, string WorkerId)>> _outstanding =
        new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The keys whose purge here has concluded since this actor started.</summary>
    private readonly HashSet<string> _purgeConcluded = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The settlement orders to send now: every one due but the fraud slashes of keys whose purge here has
    /// not concluded (none held on a coordinator without a conviction board, or once the job has ended).</summary>
    private IReadOnlyList<SettlementOrder> SettlementsToSend()
    {
        var due = _state.SettlementsDue;
        if (_state.IsTerminal || _services.Convictions is null) return due;
        return due.Where(o => !(_state.Ledger.FraudSlash(o) && !_purgeConcluded.Contains(o.Provider!))).ToList();
    }

    /// <summary>The purge of <paramref name="address"/> here re-verifies <paramref name="results"/>.</summary>
    private void PurgeStarted(string address, IReadOnlyList<JudgedResult> results)
    {
        var outstanding = _outstanding.TryGetValue(address, out var set) ? set : _outstanding[address] = [];
        foreach (var r in results) outstanding.Add((r.Round, r.Shard, r.Epoch, r.WorkerId));
        if (outstanding.Count == 0) Self.Tell(new RollBackCheck());
    }

    /// <summary><paramref name="result"/> has been decided: when it was its key's last, whether a rollback is due
    /// is checked, and the purge concludes there.</summary>
    private void ReverifiedResult(JudgedResult result)
    {
        if (!_outstanding.TryGetValue(result.Address, out var set)) return;
        set.Remove((result.Round, result.Shard, result.Epoch, result.WorkerId));
        if (set.Count == 0) Self.Tell(new RollBackCheck());
    }

    /// <summary>The purges with nothing left to verify conclude (after the rollback they called for, if any): their
    /// keys' fraud slashes are sent.</summary>
    private void ConcludePurges()
    {
        var done = _outstanding.Where(o => o.Value.Count == 0).Select(o => o.Key).ToList();
        foreach (var address in done)
        {
            _outstanding.Remove(address);
            _purgeConcluded.Add(address);
        }
        if (done.Count > 0) Settle();
    }
}
