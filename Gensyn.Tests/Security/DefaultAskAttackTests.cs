using Gensyn.Actors.Market;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Security;

/// <summary>
/// A worker that sets no --price asks by the throughput it reports (<see cref="DefaultAsk"/>). Reporting an absurd
/// throughput neither makes its ask absurd nor gets the profile past the edge's bounds.
/// </summary>
public class DefaultAskAttackTests
{
    private static readonly DefaultAsk Rule = new(0.25, 0.17, 1280);
    private static readonly RegistrationRules Edge = new(new RegistrationLimits());

    private static RegisterWorker Profile(double throughput) => new((WorkerId)"w", null!, "cpu", 8, 1, "cpu-x64-libtorch2.10-t1",
        Rule.For(throughput), "0x0000000000000000000000000000000000000001", throughput, 100);

    [Theory]
    [InlineData(1e9)]
    [InlineData(double.MaxValue)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NaN)]
    public void An_absurd_throughput_gives_a_finite_ask_within_the_edges_price_bound(double throughput)
    {
        var ask = Rule.For(throughput);

        Assert.True(double.IsFinite(ask) && ask >= 0, $"ask {ask}");
        Assert.InRange(ask, 0, new RegistrationLimits().MaxPricePerHour);
    }

    [Theory]
    [InlineData(1e9)]
    [InlineData(double.PositiveInfinity)]
    public void The_edge_still_refuses_the_throughput_of_a_profile_priced_by_it(double throughput)
    {
        var problem = Edge.ProfileProblem(Profile(throughput));

        Assert.NotNull(problem);
        Assert.Contains("throughput", problem);
    }

    [Fact]
    public void A_profile_with_an_honest_measurement_and_its_default_ask_passes_the_edge()
    {
        Assert.Null(Edge.ProfileProblem(Profile(640)));
    }
}
