using Gensyn.Actors.Market;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Node.Cli;
using Gensyn.Node.Market;

namespace Gensyn.Tests.Cli;

/// <summary>`gensyn quote` and submit's confirmation, without a network: the report, the cloud table and the prompt.</summary>
public class QuoteCommandTests
{
    private static JobSpec Spec(string device = "any", double maxTotal = 1) => JobSpecParser.Parse($"""
        name: quoted
        model: {"{"} kind: mlp, hidden: [256] {"}"}
        dataset: {"{"} name: mnist {"}"}
        training: {"{"} rounds: 3, shards: 4, inner-steps: 200, batch-size: 64 {"}"}
        requirements: {"{"} device: {device} {"}"}
        budget: {"{"} max-total: {maxTotal} {"}"}
        """, Directory.GetCurrentDirectory());

    private static readonly CloudPrices Cloud = new("2024", "2026-11-26", 1.0,
    [
        new CloudInstance("AWS", "c6i.xlarge", "cpu", "4 vCPU", "us-east-1", 0.17, "https://aws.amazon.com/ec2/pricing/on-demand/"),
        new CloudInstance("AWS", "p3.2xlarge", "gpu", "1x V100", "us-east-1", 3.06, "https://aws.amazon.com/ec2/instance-types/p3/", 60),
    ],
    [new CloudClass("cpu", 1000, "test"), new CloudClass("gpu", 4000, "test")]);

    [Fact]
    public void An_invalid_spec_exits_2_with_every_error_before_any_coordinator_is_asked()
    {
        using var dir = new TempDirectory();
        var spec = Path.Combine(dir.Path, "bad.yaml");
        File.WriteAllText(spec, "name: Bad Name\nmodel: { kind: mlp }\ndataset: { name: mnist }\ntraining: { rounds: 0 }\nbudget: { price-per-step: 0.001 }\n");

        var result = GensynProcess.Run(dir.Path, "quote", spec, "--coordinator", "127.0.0.1:1");

        Assert.Equal(2, result.ExitCode);
        var errors = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(errors, e => e.StartsWith("error: name:"));
        Assert.Contains(errors, e => e.StartsWith("error: training.rounds:"));
        Assert.Contains(errors, e => e.StartsWith("error: budget.price-per-step: prices come from the market now"));
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public void A_quote_turns_the_locked_price_into_work_compute_hours_duration_and_cost()
    {
        var spec = Spec();
        var price = JobPricing.For(spec, new JobPrice(0.36, 1000, "the clearing price of 2 idle worker(s)", Workers: 2));

        var quote = JobQuote.Of(spec, price, Cloud);

        Assert.Equal(12, quote.Results);
        Assert.Equal(2_400, quote.Work, 9);
        Assert.Equal(2.4 / 3600, quote.ComputeHours, 12);
        Assert.Equal(2, quote.Waves);
        Assert.Equal(3 * (2 * 0.2 + JobPricing.RoundOverheadSeconds), quote.DurationSeconds, 9);
        Assert.Equal("0.00002", quote.ResultPayout);
        Assert.Equal("0.00024", quote.Cost);
        Assert.True(quote.FitsBudget);
        Assert.Equal("the clearing price of 2 idle worker(s)", quote.Basis);
        var text = new StringWriter();
        quote.Print(text);
        Assert.Contains("cost           0.00024 GENS", text.ToString());
        Assert.Contains("fits budget.max-total (1 GENS", text.ToString());
    }

    [Theory]
    [InlineData("cpu", new[] { "c6i.xlarge" })]
    [InlineData("cuda", new[] { "p3.2xlarge" })]
    [InlineData("any", new[] { "c6i.xlarge", "p3.2xlarge" })]
    public void The_cloud_rows_match_the_jobs_device_class(string device, string[] instances)
    {
        var spec = Spec(device);
        var quote = JobQuote.Of(spec, JobPricing.For(spec, new JobPrice(0.2, 640, "test", 1)), Cloud);

        Assert.Equal(instances, quote.Cloud.References.Select(r => r.Instance));
    }

    [Fact]
    public void Each_cloud_row_costs_the_same_work_at_its_class_throughput_and_the_saving_is_against_the_jobs_cost_in_USD()
    {
        var rows = Cloud.Compare(work: 7_200_000, costGens: 0.17, DeviceRequirement.Any);

        Assert.Equal(2, rows[0].Hours, 12);                                             // 7.2 M steps at 1000/s
        Assert.Equal(0.34, rows[0].CostUsd, 12);
        Assert.Equal(50.0, rows[0].SavingPercent);                                      // 0.17 USD against 0.34 USD
        Assert.Equal(0.5, rows[1].Hours, 12);                                           // at the gpu class's 4000/s
        Assert.Equal(1.53, rows[1].CostUsd, 12);
        Assert.Equal(Math.Round((1.53 - 0.17) / 1.53 * 100, 1), rows[1].SavingPercent);
        Assert.Equal(-100.0, (Cloud with { GensUsd = 4 }).Compare(7_200_000, 0.17, DeviceRequirement.Cpu)[0].SavingPercent);  // 0.68 USD against 0.34
    }

    [Fact]
    public void An_instance_is_billed_at_least_its_providers_minimum()
    {
        var rows = Cloud.Compare(work: 4_000, costGens: 0.0001, DeviceRequirement.Any);

        Assert.Equal(4.0 / 3600, rows[0].BilledHours, 12);                              // c6i: no minimum in this table
        Assert.Equal(1.0 / 3600, rows[1].Hours, 12);                                    // 1 s of work on the V100...
        Assert.Equal(60.0 / 3600, rows[1].BilledHours, 12);                             // ...billed as its 60 s
        Assert.Equal(3.06 / 60, rows[1].CostUsd, 12);
    }

    [Fact]
    public void The_shipped_cloud_table_is_dated_converts_at_a_stated_rate_and_names_a_source_for_every_row()
    {
        var table = CloudPrices.Shipped;

        Assert.Matches(@"^\d{4}(-\d{2})?(-\d{2})?$", table.AsOf);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", table.Recorded);
        Assert.True(table.GensUsd > 0);
        Assert.Contains(table.Instances, i => i.Class == "cpu");
        Assert.Contains(table.Instances, i => i.Class == "gpu");
        Assert.Contains(table.Instances, i => i.Instance == "p3.2xlarge");
        Assert.All(table.Classes, c => Assert.True(c.ReferenceStepsPerSecond > 0 && c.Basis.Length > 0, $"{c.Class} has no reference throughput"));
        Assert.All(table.Instances, i =>
        {
            Assert.StartsWith("https://", i.Source);
            Assert.True(i.UsdPerHour > 0, $"{i.Instance} has no price");
            Assert.False(string.IsNullOrWhiteSpace(i.Hardware));
            Assert.False(string.IsNullOrWhiteSpace(i.Region));
            Assert.InRange(i.MinimumBilledSeconds, 0, 3600);
            Assert.Contains(table.Classes, c => c.Class == i.Class);
        });
    }

    [Theory]
    [InlineData("y\n", true)]
    [InlineData("Y\n", true)]
    [InlineData("yes\n", true)]
    [InlineData("  YES  \n", true)]
    [InlineData("\n", false)]
    [InlineData("n\n", false)]
    [InlineData("no\n", false)]
    [InlineData("yep\n", false)]
    [InlineData("", false)]  // no answer at all (end of input)
    public void The_confirmation_is_yes_only_for_y_or_yes(string typed, bool proceeds)
    {
        var output = new StringWriter();

        Assert.Equal(proceeds, Confirmation.Ask(new StringReader(typed), output));
        Assert.Equal("Proceed? [y/N] ", output.ToString());
    }

    [Fact]
    public void Nobody_is_asked_when_the_output_is_JSON() => Assert.False(Confirmation.CanAsk(json: true));
}
