using Akka.Configuration;
using Gensyn.Actors.Market;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Node.Market;

namespace Gensyn.Tests.Market;

/// <summary>What a worker asks when it sets no --price: a fraction of the cloud's price for the compute it measured.</summary>
public class DefaultAskTests
{
    // The cloud reference: 0.17 GENS an hour for 1280 reference steps per second; the worker asks a quarter of that.
    private static readonly DefaultAsk Rule = new(0.25, 0.17, 1280);

    [Fact]
    public void A_worker_as_fast_as_the_cloud_reference_asks_the_fraction_of_its_price()
    {
        Assert.Equal(0.0425, Rule.For(1280), 12);
    }

    [Theory]
    [InlineData(157)]
    [InlineData(640)]
    [InlineData(5_000)]
    public void The_ask_grows_with_the_measured_throughput_so_a_reference_step_costs_the_fraction_of_the_clouds(double measured)
    {
        var perReferenceHour = Rule.For(measured) / measured;   // GENS for an hour of one reference step per second

        // Exact but for the rounding of the ask to the micro-GENS.
        Assert.InRange(Math.Abs(perReferenceHour - 0.25 * 0.17 / 1280), 0, 0.5e-6 / measured + 1e-15);
        Assert.True(Rule.For(measured * 2) > Rule.For(measured));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_measurement_that_is_not_a_positive_number_asks_as_the_cloud_reference(double measured)
    {
        Assert.Equal(Rule.For(1280), Rule.For(measured));
    }

    [Fact]
    public void Absurd_throughput_asks_at_most_the_capped_ratio_of_the_reference()
    {
        var capped = Rule with { MaxThroughputRatio = 100 };

        Assert.Equal(capped.For(128_000), capped.For(1e15));
        Assert.Equal(0.25 * 0.17 * 100, capped.For(1e300), 9);
    }

    [Fact]
    public void The_ask_is_rounded_to_the_micro_GENS()
    {
        var ask = Rule.For(1000);   // 0.25 x 0.17 x 1000/1280 = 0.033203125

        Assert.Equal(0.033203, ask);
    }

    [Fact]
    public void The_settings_come_from_cluster_hocon_with_documented_defaults_and_bad_ones_are_named()
    {
        var defaults = DefaultAsk.From(null, 0.17, 1280, out var none)!;
        var shipped = ConfigurationFactory.ParseString(
            File.ReadAllText(Path.Combine(Cli.GensynProcess.RepositoryRoot, "cluster.hocon")));
        var fromShipped = DefaultAsk.From(shipped, 0.17, 1280, out _)!;
        var set = DefaultAsk.From(ConfigurationFactory.ParseString("gensyn.market.default-ask.cloud-fraction = 0.4"), 0.17, 1280, out _)!;

        Assert.Null(none);
        Assert.Equal((DefaultAsk.DefaultFraction, DefaultAsk.DefaultMaxThroughputRatio), (defaults.Fraction, defaults.MaxThroughputRatio));
        Assert.Equal(defaults, fromShipped);
        Assert.Equal(0.4, set.Fraction);
        Assert.Null(DefaultAsk.From(ConfigurationFactory.ParseString("gensyn.market.default-ask.cloud-fraction = -1"), 0.17, 1280, out var bad));
        Assert.StartsWith("gensyn.market.default-ask.cloud-fraction must be from 0 to 10", bad);
        Assert.Null(DefaultAsk.From(null, 0, 1280, out var noCloud));
        Assert.NotNull(noCloud);
    }

    [Fact]
    public void Price_overrides_the_default_ask_and_without_it_the_worker_asks_by_the_rule()
    {
        var priced = new WorkerOptions((WorkerId)"w", [], "/tmp", Threads: 1, PricePerHour: 0.9) { DefaultAsk = Rule };
        var unpriced = priced with { PricePerHour = null };

        Assert.Equal(0.9, priced.AskFor(640));
        Assert.Equal(Rule.For(640), unpriced.AskFor(640));
    }

    [Theory]
    [InlineData("cpu", "cpu")]
    [InlineData("cuda", "gpu")]
    public void A_workers_reference_is_the_cheapest_shipped_instance_of_its_device_class(string device, string cloudClass)
    {
        var cloud = CloudPrices.Shipped;
        var ask = cloud.DefaultAskFor(device, null);
        var cheapest = cloud.Instances.Where(i => i.Class == cloudClass).Min(i => i.UsdPerHour);

        Assert.Equal(cheapest / cloud.GensUsd, ask.CloudGensPerHour);
        Assert.Equal(cloud.Classes.Single(c => c.Class == cloudClass).ReferenceStepsPerSecond, ask.CloudStepsPerSecond);
        Assert.Equal(DefaultAsk.DefaultFraction, ask.Fraction);
    }
}
