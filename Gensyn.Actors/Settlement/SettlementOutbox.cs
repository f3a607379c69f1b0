using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Settlement;

/// <summary>
/// The SettlementActor's rules, without Akka or a chain: every order is known by its settlement id (a second copy of
/// an order changes nothing), orders run one at a time in the order they came, an order's transaction hash is kept
/// as soon as it is known, and a finished order keeps its outcome for whoever asks again.
/// </summary>
public sealed class SettlementOutbox
{
    /// <summary><see cref="Since"/>: when the order was journaled (unknown for one restored from a snapshot).</summary>
    public sealed record Entry(SettlementOrder Order, string? TxHash, SettlementSettled? Outcome,
        DateTimeOffset? Since = null)
    {
        public bool Finished => Outcome is not null;
    }

    private readonly Dictionary<string, Entry> _entries = [];
    private readonly List<string> _queue = [];

    public int Count => _entries.Count;

    public IEnumerable<Entry> Unfinished => _queue.Select(id => _entries[id]);

    /// <summary>The order to work on next, or null when every order has its outcome.</summary>
    public Entry? Next => _queue.Count == 0 ? null : _entries[_queue[0]];

    public Entry? Find(string settlementId) => _entries.GetValueOrDefault(settlementId);

    /// <summary>
    /// Moves an order that failed for now behind the others, so one that keeps failing (a paused contract) does not hold
    /// up the rest. Not journalled: after a restart the orders run in their original order again.
    /// </summary>
    public void Defer(string settlementId)
    {
        if (_queue.Remove(settlementId)) _queue.Add(settlementId);
    }

    /// <summary>The last <paramref name="count"/> outcomes, newest first.</summary>
    public IReadOnlyList<SettlementSettled> Recent(int count) => _finished.TakeLast(Math.Clamp(count, 0, 100)).Reverse().ToList();

    private readonly List<SettlementSettled> _finished = [];

    /// <summary>What a new copy of <paramref name="order"/> needs: persisting (unknown), nothing (in progress), or its outcome again.</summary>
    public (bool IsNew, SettlementSettled? Outcome) Check(SettlementOrder order) =>
        _entries.TryGetValue(order.SettlementId, out var entry) ? (false, entry.Outcome) : (true, null);

    public SettlementOutboxSnapshot ToSnapshot() =>
        new(_entries.Values.Select(e => new OutboxEntry(e.Order, e.TxHash, e.Outcome)).ToList(), _queue.ToList());

    public static SettlementOutbox FromSnapshot(SettlementOutboxSnapshot snapshot)
    {
        var outbox = new SettlementOutbox();
        foreach (var e in snapshot.Entries) outbox._entries[e.Order.SettlementId] = new Entry(e.Order, e.TxHash, e.Outcome);
        outbox._queue.AddRange(snapshot.Queue.Where(id => outbox._entries.TryGetValue(id, out var e) && !e.Finished));
        outbox._finished.AddRange(snapshot.Entries.Select(e => e.Outcome).OfType<SettlementSettled>().OrderBy(o => o.At));
        return outbox;
    }

    public void Apply(ISettlementEvent e)
    {
        switch (e)
        {
            case SettlementIntended intended when !_entries.ContainsKey(intended.Order.SettlementId):
                _entries[intended.Order.SettlementId] = new Entry(intended.Order, null, null, intended.At);
                _queue.Add(intended.Order.SettlementId);
                break;
            case SettlementSent sent when _entries.TryGetValue(sent.SettlementId, out var entry) && !entry.Finished:
                _entries[sent.SettlementId] = entry with { TxHash = sent.TxHash };
                break;
            case SettlementFinished finished when _entries.TryGetValue(finished.Outcome.SettlementId, out var entry) && !entry.Finished:
                _entries[finished.Outcome.SettlementId] = entry with { Outcome = finished.Outcome, TxHash = finished.Outcome.TxHash ?? entry.TxHash };
                _queue.Remove(finished.Outcome.SettlementId);
                _finished.Add(finished.Outcome);
                break;
        }
    }
}
