using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Jobs;

namespace Gensyn.Tests.Settlement;

/// <summary>A job's budget as the parser reads it (the cap, the deposit, the retired price per step) and GENS amounts as users write them.</summary>
public class BudgetSpecTests
{
    private static readonly string BaseDirectory = Path.GetFullPath(Path.Combine(Path.GetTempPath(), "gensyn-spec-tests", "budget"));

    private const string Minimal = """
        name: job
        model: { kind: mlp }
        dataset: { name: mnist }

        """;

    /// <summary>2 rounds x 3 shards x 50 steps.</summary>
    private static string Work(string budget, string mode = "spot-check") =>
        Minimal + $"training: {{ rounds: 2, shards: 3, inner-steps: 50 }}\nverification: {{ mode: {mode} }}\nbudget: {budget}\n";

    private static JobSpec Parse(string yaml) => JobSpecParser.Parse(yaml, BaseDirectory);

    private static string ErrorOf(string yaml) => Assert.Single(Assert.Throws<JobSpecException>(() => Parse(yaml)).Errors);

    [Fact]
    public void The_budget_defaults_to_GENS_a_cap_of_half_a_GENS_per_hour_and_100_GENS_deposited()
    {
        var spec = Parse(Minimal);

        Assert.Equal(new BudgetSpec("GENS", 0.5, 100), spec.Budget);
        Assert.Equal(100_000_000, spec.DepositMicros);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    public void A_max_total_that_is_not_positive_is_rejected(string total)
    {
        var error = ErrorOf(Minimal + $"budget: {{ max-total: {total} }}");

        Assert.StartsWith("budget.max-total:", error);
    }

    [Fact]
    public void A_max_total_is_not_checked_against_the_work_by_the_parser_the_coordinator_does_at_the_market_price()
    {
        var spec = Parse(Work("{ max-total: 0.000001 }"));

        Assert.Equal(1, spec.DepositMicros);
    }

    [Fact]
    public void A_spec_that_still_sets_price_per_step_is_refused_when_submitted_saying_prices_come_from_the_market()
    {
        var yaml = Work("{ max-total: 1, price-per-step: 0.001 }");

        var error = Assert.Single(Assert.Throws<JobSpecException>(() => JobSpecParser.ParseSubmission(yaml, BaseDirectory)).Errors);
        Assert.StartsWith("budget.price-per-step: prices come from the market now", error);
        Assert.Contains("gensyn quote", error);
        // Journals and assignments of jobs accepted before still read (their payout is the ledger's business).
        Assert.Equal(1_000_000, Parse(yaml).DepositMicros);
        Assert.Equal(0.001, JobSpecParser.RetiredPricePerStepOf(yaml));
    }

    [Fact]
    public void Results_count_every_shard_of_every_round_and_both_replicas_in_replicated_mode()
    {
        Assert.Equal(2 * 3, Parse(Work("{ max-total: 1 }")).Results);
        Assert.Equal(2 * 3 * 2, Parse(Work("{ max-total: 1 }", mode: "replicated")).Results);
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
