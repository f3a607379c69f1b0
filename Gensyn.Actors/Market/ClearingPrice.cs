using Gensyn.Actors.Scheduling;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Market;

/// <summary>
/// The network's price rule, per hardware class (a worker's device: cpu, cuda), with no actors in it. Supply is the
/// class's idle workers with their asking prices; demand is the queued shards that workers of the class could take.
/// The clearing price is the ask of the marginal worker — the cheapest idle workers fill the demand in order of
/// price, and the last one needed sets the price for all (a uniform-price auction): with demand d and s idle
/// workers it is the min(d, s)-th lowest ask, and the lowest ask when nothing is queued. It rises with demand and
/// falls with supply, and a job never pays more than its own cap (<see cref="ForJob"/>). A class with no idle worker
/// has no price.
/// </summary>
public static class ClearingPrice
{
    /// <summary>
    /// The clearing price for <paramref name="demand"/> shards over idle workers asking <paramref name="idleAsks"/>;
    /// null without supply.
    /// </summary>
    public static double? Of(IEnumerable<double> idleAsks, int demand)
    {
        var asks = idleAsks.Order().ToList();
        if (asks.Count == 0) return null;
        return asks[Math.Clamp(demand, 1, asks.Count) - 1];
    }

    /// <summary>What a job pays per compute-hour: the clearing price, never above its <paramref name="cap"/>.</summary>
    public static double? ForJob(double? clearing, double cap) => clearing is { } price ? Math.Min(price, cap) : null;

    /// <summary>Supply, demand and the clearing price of each hardware class the scheduler knows.</summary>
    public static IReadOnlyList<MarketClassView> Classes<TRef>(SchedulerState<TRef> state) where TRef : notnull =>
        state.Workers.Select(w => w.Device).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal)
            .Select(device => Class(state, device)).ToList();

    private static MarketClassView Class<TRef>(SchedulerState<TRef> state, string device) where TRef : notnull
    {
        var workers = state.Workers.Where(w => Same(w.Device, device)).ToList();
        var idle = workers.Where(w => w.BusyWith is null).Select(w => w.Price).ToList();
        var demand = state.Queue.Count(q => q.Needs is not { } n || n.Device is "any" or "" || Same(n.Device, device));
        var asks = workers.Select(w => w.Price).Order().ToList();
        return new MarketClassView(device, workers.Count, idle.Count, demand, Of(idle, demand), asks[0],
            asks[asks.Count / 2]);
    }

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
