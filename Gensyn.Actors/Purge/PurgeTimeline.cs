using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Purge;

/// <summary>
/// One verdict of a job's journal, as a purge sees it: whose result it was, whether its round's aggregation took the
/// result in, and whether the round's payout to its key is confirmed on chain. <see cref="Generation"/> counts the
/// rollbacks that had reached its round before it was given: a result of an earlier generation belongs to round
/// states that were discarded.
/// </summary>
public sealed record JudgedResult(
    int Round,
    int Shard,
    int Epoch,
    string WorkerId,
    string Address,
    VerdictOutcome Outcome,
    Sha256Digest MerkleRoot,
    int Generation)
{
    /// <summary>The job's model took this result in: its round completed with this shard's state equal to it (in
    /// replicated mode, equal roots are the same states), and no rollback has discarded that round since.</summary>
    public bool Aggregated { get; init; }

    /// <summary>A round payout that names this result's worker and key is confirmed on chain.</summary>
    public bool Paid { get; init; }

    /// <summary>Why it failed a re-verification after the fact; null while it stands.</summary>
    public ResultRevoked? Revocation { get; init; }

    public bool Revoked => Revocation is not null;

    public bool Accepted => Outcome == VerdictOutcome.Accepted && !Revoked;

    public bool Of(string address) => string.Equals(Address, address, StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// A job's journal replayed for a purge: every verdict with its standing, which rounds were started and completed in
/// the current generation, the states each completed round left, and the money the escrow still holds. Pure: built
/// from the events alone, so the rules built on it give the same answer on every coordinator and after every restart.
/// </summary>
public sealed class PurgeTimeline
{
    private readonly List<JudgedResult> _results = [];
    private readonly Dictionary<int, int> _generation = [];
    private readonly Dictionary<int, int> _paidGeneration = [];
    private readonly Dictionary<(int Round, int Shard), ShardCompleted> _completed = [];
    private readonly Dictionary<int, RoundCompleted> _rounds = [];
    private readonly Dictionary<(int Round, int Generation), IReadOnlyList<Sha256Digest>> _starts = [];
    private readonly HashSet<(int Round, int Shard, int Epoch, string WorkerId)> _withinTolerance = [];
    private readonly HashSet<string> _audits = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _charged = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<Sha256Digest> _states = [];

    public JobId JobId { get; private set; }
    public string? Payer { get; private set; }
    public long DepositMicros { get; private set; }

    /// <summary>What the escrow has paid out (confirmed round payouts).</summary>
    public long PaidOutMicros { get; private set; }

    public long EscrowRemainingMicros => DepositMicros - PaidOutMicros;

    /// <summary>The latest round started in the current generation; -1 before any.</summary>
    public int LatestRound { get; private set; } = -1;

    public int Shards { get; private set; }

    public bool Finished { get; private set; }

    public IReadOnlyList<JudgedResult> Results => _results;

    public static PurgeTimeline Of(IEnumerable<IJobEvent> events)
    {
        var timeline = new PurgeTimeline();
        foreach (var e in events) timeline.Apply(e);
        return timeline;
    }

    /// <summary>Whether the job is already marked for an audit of <paramref name="address"/>'s results
    /// (<see cref="AuditDue"/>).</summary>
    public bool AuditMarked(string address) => _audits.Contains(address);

    /// <summary>The keys the job is marked for an audit of, in no particular order.</summary>
    public IReadOnlyCollection<string> AuditKeys => _audits;

    /// <summary>Whether the job journalled the charge of the conviction <paramref name="evidenceHash"/> names
    /// (<see cref="RefusalCharged"/>).</summary>
    public bool Charged(string evidenceHash) => _charged.Contains(evidenceHash);

    public int GenerationOf(int round) => _generation.GetValueOrDefault(round);

    /// <summary>Every state a round of the job started from or left (of every generation): what a replay or a
    /// rollback may need.</summary>
    public IReadOnlyCollection<Sha256Digest> States => _states;

    /// <summary>The state <paramref name="result"/>'s shard started from (in its round's generation); null when the
    /// journal has no start of it.</summary>
    public Sha256Digest? StartOf(JudgedResult result) =>
        _starts.TryGetValue((result.Round, result.Generation), out var starts) && result.Shard < starts.Count
            ? starts[result.Shard] : null;

    /// <summary>Whether <paramref name="result"/> was checked across numeric classes (within a tolerance): a replay on
    /// another class cannot be compared with its root bit for bit.</summary>
    public bool CheckedWithinTolerance(JudgedResult result) =>
        _withinTolerance.Contains((result.Round, result.Shard, result.Epoch, result.WorkerId));

    /// <summary>Whether round <paramref name="round"/> completed in the current generation.</summary>
    public bool IsCompleted(int round) => _rounds.ContainsKey(round);

    /// <summary>The global state round <paramref name="round"/> left; null when it has not completed.</summary>
    public Sha256Digest? GlobalAfter(int round) => _rounds.TryGetValue(round, out var r) ? r.GlobalState : null;

    /// <summary>The shards' end states round <paramref name="round"/> left, by shard; null when it has not
    /// completed.</summary>
    public IReadOnlyList<Sha256Digest>? ShardEndsAfter(int round) => !_rounds.ContainsKey(round)
        ? null
        : Enumerable.Range(0, Shards).Select(s => _completed[(round, s)].EndState).ToList();

    public void Apply(IJobEvent e)
    {
        switch (e)
        {
            case JobSubmitted s:
                (JobId, Payer, DepositMicros) = (s.JobId, s.Payer, s.DepositMicros);
                break;
            case RoundStarted r:
                LatestRound = r.Round;
                Shards = r.ShardStarts.Count;
                _starts[(r.Round, GenerationOf(r.Round))] = r.ShardStarts;
                _states.Add(r.GlobalState);
                _states.UnionWith(r.ShardStarts);
                break;
            case ShardVerified v:
                _results.Add(new JudgedResult(v.Round, v.Shard, v.Epoch, v.WorkerId, v.WorkerAddress, v.Outcome,
                    v.MerkleRoot, GenerationOf(v.Round)));
                if (v.RelativeError is not null) _withinTolerance.Add((v.Round, v.Shard, v.Epoch, v.WorkerId));
                break;
            case ShardCompleted c:
                _completed[(c.Round, c.Shard)] = c;
                _states.Add(c.EndState);
                break;
            case RoundCompleted rc:
                _rounds[rc.Round] = rc;
                _states.Add(rc.GlobalState);
                _paidGeneration[rc.Round] = GenerationOf(rc.Round);
                Update(x => x.Round == rc.Round && x.Generation == GenerationOf(rc.Round) && x.Accepted
                            && _completed.TryGetValue((x.Round, x.Shard), out var done)
                            && done.MerkleRoot == x.MerkleRoot,
                    x => x with { Aggregated = true });
                break;
            case SettlementPosted { Order.Kind: SettlementKind.PayRound, Outcome.Status: SettlementStatus.Confirmed } p:
                // An audit's recomputation is paid from an escrow of its own, not the job's.
                if (p.Order.Escrow is null) PaidOutMicros += p.Outcome.AmountMicros;
                var paid = _paidGeneration.GetValueOrDefault(p.Order.Round);
                Update(x => x.Round == p.Order.Round && x.Generation == paid && x.Accepted && Names(p.Order, x),
                    x => x with { Paid = true });
                break;
            case ResultRevoked r:
                Update(x => x.Round == r.Round && x.Shard == r.Shard && x.Epoch == r.Epoch && x.WorkerId == r.WorkerId
                            && x.Accepted,
                    x => x with { Revocation = r });
                break;
            case RoundsRolledBack b:
                foreach (var round in b.DiscardedRounds)
                {
                    _generation[round] = GenerationOf(round) + 1;
                    _rounds.Remove(round);
                    for (var shard = 0; shard < Shards; shard++) _completed.Remove((round, shard));
                }
                LatestRound = b.FromRound - 1;
                Update(x => b.DiscardedRounds.Contains(x.Round), x => x with { Aggregated = false });
                break;
            case JobCompleted or JobFailed or JobCancelled:
                Finished = true;
                break;
            case AuditDue a:
                _audits.Add(a.Address);
                break;
            case RefusalCharged c:
                _charged.Add(c.EvidenceHash);
                break;
        }
    }

    /// <summary>Whether a payout names the result's key and worker (a payee joins its key's worker ids with
    /// "+").</summary>
    private static bool Names(SettlementOrder order, JudgedResult x) =>
        order.Payees.Any(p => x.Of(p.Address) && p.WorkerId.Split('+').Contains(x.WorkerId));

    private void Update(Func<JudgedResult, bool> which, Func<JudgedResult, JudgedResult> change)
    {
        for (var i = 0; i < _results.Count; i++)
            if (which(_results[i])) _results[i] = change(_results[i]);
    }
}
