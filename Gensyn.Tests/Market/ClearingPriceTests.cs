using Gensyn.Actors.Market;
using Gensyn.Actors.Scheduling;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Market;

/// <summary>The clearing price per hardware class: the marginal idle worker's ask for the queued demand.</summary>
public class ClearingPriceTests
{
    private static readonly double[] Asks = [0.4, 0.1, 0.3, 0.2, 0.5];

    [Fact]
    public void With_nothing_queued_the_price_is_the_lowest_ask() => Assert.Equal(0.1, ClearingPrice.Of(Asks, demand: 0));

    [Fact]
    public void The_price_rises_with_demand()
    {
        var prices = Enumerable.Range(1, 5).Select(d => ClearingPrice.Of(Asks, d)!.Value).ToList();
        Assert.Equal([0.1, 0.2, 0.3, 0.4, 0.5], prices);
        Assert.Equal(0.5, ClearingPrice.Of(Asks, demand: 50));  // demand beyond supply: every idle worker is needed
    }

    [Fact]
    public void The_price_falls_with_supply()
    {
        var scarce = ClearingPrice.Of([0.4, 0.5], demand: 2)!.Value;
        var more = ClearingPrice.Of([0.4, 0.5, 0.15, 0.25], demand: 2)!.Value;
        Assert.True(more < scarce, $"{more} should be below {scarce}");
        Assert.Equal(0.25, more);
    }

    [Fact]
    public void Without_an_idle_worker_there_is_no_price() => Assert.Null(ClearingPrice.Of([], demand: 3));

    [Theory]
    [InlineData(0.3, 0.5, 0.3)]
    [InlineData(0.8, 0.5, 0.5)]
    [InlineData(0.5, 0.5, 0.5)]
    public void A_job_never_pays_more_than_its_cap(double clearing, double cap, double paid) => Assert.Equal(paid, ClearingPrice.ForJob(clearing, cap));

    [Fact]
    public void Each_hardware_class_has_its_own_supply_demand_and_price()
    {
        var state = new SchedulerState<string>();
        state.Register(new WorkerEntry<string>((WorkerId)"cpu-1", "r1", "cpu", 16, 1, "c", 0.2));
        state.Register(new WorkerEntry<string>((WorkerId)"cpu-2", "r2", "cpu", 16, 1, "c", 0.3));
        state.Register(new WorkerEntry<string>((WorkerId)"gpu-1", "r3", "cuda", 24, 1, "g", 1.5));
        state.Enqueue(new WorkRequest<string>((JobId)"job-1", 0, 0, "s0", Needs: new ShardNeeds("cuda", 0, 0.1)));  // nobody meets its cap: stays queued
        state.Enqueue(new WorkRequest<string>((JobId)"job-2", 0, 0, "s1", Needs: new ShardNeeds("cuda", 0, 0.1)));
        state.Match();

        var classes = ClearingPrice.Classes(state).ToDictionary(c => c.Class);
        Assert.Equal(new MarketClassView("cpu", 2, 2, 0, 0.2, 0.2, 0.3), classes["cpu"]);
        Assert.Equal(new MarketClassView("cuda", 1, 1, 2, 1.5, 1.5, 1.5), classes["cuda"]);
    }
}
