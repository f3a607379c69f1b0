using Gensyn.Actors.Shards;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Testing.Verification;

namespace Gensyn.Tests.Verification;

/// <summary>The rehearsed blind spot (GENSYN_BLIND_CHALLENGES) narrows only the named worker's early rounds.</summary>
public sealed class BlindChallengesTests
{
    private static ShardOrder Order(int round) => new((JobId)"job-blind", round, 0, SpecRef.Of("name: spec\n"),
        "/data", Sha256Digest.Of("start"u8.ToArray()), 10, InnerSteps: 40, Samples: 4, "fp32", Exclusion.None);

    private static readonly int[] Drawn = [1, 7, 19, 40];

    [Fact]
    public void The_named_worker_s_results_of_the_rounds_below_the_limit_are_challenged_on_their_last_step_only()
    {
        var blind = BlindChallenges.FromEnvironment(v => v == BlindChallenges.Variable ? "cheater:1" : null)!;

        Assert.Equal([40], blind.Steps(Order(0), (WorkerId)"cheater", Drawn));
        Assert.Equal(Drawn, blind.Steps(Order(1), (WorkerId)"cheater", Drawn));
        Assert.Equal(Drawn, blind.Steps(Order(0), (WorkerId)"honest-1", Drawn));
    }

    [Fact]
    public void Without_the_variable_nothing_is_narrowed() =>
        Assert.Null(BlindChallenges.FromEnvironment(_ => null));

    [Theory]
    [InlineData("cheater")]
    [InlineData(":1")]
    [InlineData("cheater:-1")]
    public void A_malformed_value_is_refused_with_the_expected_form(string value) =>
        Assert.Contains("expected WORKER:ROUNDS", Assert.Throws<ArgumentException>(
            () => BlindChallenges.FromEnvironment(_ => value)).Message);
}
