using Akka.Actor;
using Gensyn.Actors;
using Gensyn.Edge.Client;

namespace Gensyn.Benchmarks.Scale;

/// <summary>
/// Many <see cref="SimulatedProvider"/>s in one local actor system (no remoting), provider i dialling edge
/// <c>doors[i % doors.Count]</c> over its own connection, as separate provider machines would.
/// </summary>
public sealed class SimulatedFleet : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly List<WorkerLink> _links;

    private SimulatedFleet(ActorSystem system, List<WorkerLink> links, ScaleCounters counters)
    {
        _system = system;
        _links = links;
        Counters = counters;
    }

    public ScaleCounters Counters { get; }

    /// <param name="doors">The edges, each HOST:PORT#FINGERPRINT or HOST:PORT.</param>
    /// <param name="directory">Where each provider keeps the edges' certificates it trusts (one folder each).</param>
    public static SimulatedFleet Start(IReadOnlyList<string> doors, int providers, TimeSpan shardTime, int innerSteps,
                                       string directory)
    {
        var system = ActorSystem.Create("providers", NodeConfig.Local(logLevel: "WARNING"));
        var counters = new ScaleCounters(doors.Count, innerSteps);
        var links = new List<WorkerLink>(providers);
        for (var i = 0; i < providers; i++)
        {
            var door = i % doors.Count;
            var trust = Directory.CreateDirectory(Path.Combine(directory, $"p{i}")).FullName;
            var link = new WorkerLink([doors[door]], trust);
            links.Add(link);
            system.ActorOf(SimulatedProvider.Props(i, door, link, shardTime, counters), $"provider-{i}");
        }
        return new SimulatedFleet(system, links, counters);
    }

    /// <summary>Waits until every provider is registered; fails with what it saw after
    /// <paramref name="limit"/>.</summary>
    public async Task WhenRegistered(int providers, TimeSpan limit)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Counters.RegisteredCount < providers)
        {
            if (clock.Elapsed > limit)
                throw new TimeoutException($"{Counters.RegisteredCount} of {providers} simulated providers " +
                                           $"registered in {limit.TotalSeconds:0} s (refusals: {Counters.Refusals()})");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _system.Terminate();
        foreach (var link in _links) link.Dispose();
    }
}
