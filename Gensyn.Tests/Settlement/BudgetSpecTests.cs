using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Jobs;

namespace Gensyn.Tests.Settlement;

/// <summary>A job's budget as the parser reads it (price per step, the deposit covering the work) and GENS amounts as users write them.</summary>
public class BudgetSpecTests
{
    private static readonly string BaseDirectory = Path.GetFullPath(Path.Combine(Path.GetTempPath(), "gensyn-spec-tests", "budget"));

    private const string Minimal = """
        name: job
        model: { kind: mlp }
        dataset: { name: mnist }

        """;

    /// <summary>2 rounds x 3 shards x 50 steps: 300 paid steps per replica.</summary>
    private static string Work(string budget, string mode = "spot-check") =>
        Minimal + $"training: {{ rounds: 2, shards: 3, inner-steps: 50 }}\nverification: {{ mode: {mode} }}\nbudget: {budget}\n";

    private static JobSpec Parse(string yaml) => JobSpecParser.Parse(yaml, BaseDirectory);

    private static string ErrorOf(string yaml) => Assert.Single(Assert.Throws<JobSpecException>(() => Parse(yaml)).Errors);

    [Fact]
    public void Price_per_step_defaults_to_a_thousandth_of_a_GENS()
    {
        var spec = Parse(Minimal);

        Assert.Equal(0.001, spec.Budget.PricePerStep);
        Assert.Equal(BudgetSpec.DefaultPricePerStep, spec.Budget.PricePerStep);
        Assert.Equal(100 * 1_000, spec.ShardPayoutMicros); // default H = 100 steps
    }

    [Fact]
    public void A_max_total_that_does_not_cover_the_work_is_rejected_naming_the_field_and_the_required_amount()
    {
        var error = ErrorOf(Work("{ max-total: 0.299999, price-per-step: 0.001 }"));

        Assert.StartsWith("budget.max-total:", error);
        Assert.Contains("0.299999 GENS does not cover", error);
        Assert.Contains("2 rounds x 3 shards x 1 replica(s) x 50 steps x 0.001 GENS = 0.3 GENS", error);
    }

    [Fact]
    public void A_max_total_that_exactly_covers_the_work_is_accepted()
    {
        var spec = Parse(Work("{ max-total: 0.3, price-per-step: 0.001 }"));

        Assert.Equal(300_000, spec.MaxPayoutMicros);
        Assert.Equal(300_000, spec.DepositMicros);
    }

    [Fact]
    public void Replicated_mode_doubles_the_amount_the_budget_must_cover()
    {
        var error = ErrorOf(Work("{ max-total: 0.3, price-per-step: 0.001 }", mode: "replicated"));
        Assert.StartsWith("budget.max-total:", error);
        Assert.Contains("2 replica(s)", error);
        Assert.Contains("= 0.6 GENS", error);

        var spec = Parse(Work("{ max-total: 0.6, price-per-step: 0.001 }", mode: "replicated"));
        Assert.Equal(2, spec.Replicas);
        Assert.Equal(600_000, spec.MaxPayoutMicros);
    }

    [Theory]
    [InlineData("0.0000015")]
    [InlineData("0.0012345")]
    [InlineData("1.0000001")]
    public void A_price_per_step_with_more_than_6_decimals_is_rejected(string price)
    {
        var error = ErrorOf(Minimal + $"budget: {{ price-per-step: {price} }}");

        Assert.StartsWith("budget.price-per-step:", error);
        Assert.Contains("6 decimals", error);
    }

    [Fact]
    public void A_price_per_step_with_6_decimals_is_accepted()
    {
        var spec = Parse(Minimal + "budget: { price-per-step: 0.000001 }");

        Assert.Equal(0.000001, spec.Budget.PricePerStep);
        Assert.Equal(100, spec.ShardPayoutMicros);
    }

    [Fact]
    public void Deposit_shard_payout_and_max_payout_follow_from_the_spec()
    {
        const string training = "training: { rounds: 4, shards: 3, inner-steps: 25 }\n";
        var spec = Parse(Minimal + training + "budget: { max-total: 12.5, price-per-step: 0.0025 }\n");

        Assert.Equal(12_500_000, spec.DepositMicros);
        Assert.Equal(25 * 2_500, spec.ShardPayoutMicros);
        Assert.Equal(4 * 3 * 25 * 2_500, spec.MaxPayoutMicros);

        var replicated = Parse(Minimal + training + "verification: { mode: replicated }\nbudget: { max-total: 12.5, price-per-step: 0.0025 }\n");
        Assert.Equal(62_500, replicated.ShardPayoutMicros);
        Assert.Equal(2 * 4 * 3 * 62_500, replicated.MaxPayoutMicros);
    }

    [Theory]
    [InlineData(12_500_000, "12.5")]
    [InlineData(4_000, "0.004")]
    [InlineData(100_000_000, "100")]
    [InlineData(0, "0")]
    [InlineData(1, "0.000001")]
    [InlineData(1_234_567, "1.234567")]
    [InlineData(-1_500_000, "-1.5")]
    public void Gens_Format_writes_decimals_without_trailing_zeros(long micros, string text)
    {
        Assert.Equal(text, Gens.Format(micros));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4_000)]
    [InlineData(12_500_000)]
    [InlineData(1_234_567)]
    [InlineData(100_000_000)]
    [InlineData(long.MaxValue)]
    public void Gens_TryParse_reads_back_what_Format_writes(long micros)
    {
        Assert.Equal(micros, Gens.TryParse(Gens.Format(micros)));
    }

    [Theory]
    [InlineData("12.5", 12_500_000)]
    [InlineData("0.000001", 1)]
    [InlineData("7", 7_000_000)]
    [InlineData("0.100000", 100_000)]
    public void Gens_TryParse_reads_amounts_with_up_to_6_decimals(string text, long micros)
    {
        Assert.Equal(micros, Gens.TryParse(text));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("-0.5")]
    [InlineData("0.0000001")]
    [InlineData("1.2345678")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("1e3")]
    [InlineData("1,5")]
    [InlineData("12 GENS")]
    [InlineData("10000000000000")] // 1e13 GENS does not fit in micro-GENS
    public void Gens_TryParse_rejects_negative_too_precise_and_malformed_amounts(string text)
    {
        Assert.Null(Gens.TryParse(text));
    }
}
