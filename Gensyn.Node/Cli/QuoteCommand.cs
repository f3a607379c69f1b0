using System.CommandLine;
using System.Globalization;
using Gensyn.Actors.Market;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Node.Market;

namespace Gensyn.Node.Cli;

/// <summary>
/// <c>gensyn quote JOB.yaml</c>: what the job would cost if submitted now. The coordinator answers the price the job
/// would lock (<see cref="JobPricing"/>); the quote turns it into work, compute-hours, duration and cost, beside the
/// reference on-demand cloud prices (<see cref="CloudPrices"/>). Nothing is deposited or started.
/// </summary>
public static class QuoteCommand
{
    public static Command Create()
    {
        var spec = new Argument<FileInfo>("job") { Description = "Job spec (YAML), e.g. examples/mnist-mlp.yaml" };
        var coordinator = ClusterCli.CoordinatorOption();
        var json = ClusterCli.JsonOption();
        var command = new Command("quote", "Estimate a job's compute-hours, duration and cost at the network's current prices, beside on-demand cloud prices")
        {
            spec, coordinator, json,
        };
        command.SetAction(async parse =>
        {
            var file = parse.GetRequiredValue(spec);
            var network = NetworkSpec.Read(file.FullName);
            var parsed = network.Spec;
            await using var client = CoordinatorClient.Connect(parse.GetRequiredValue(coordinator));
            // The spec the network would get: its files packed (nothing is uploaded), mnist named by its manifest.
            (network, _, var noData) = await SpecDataset.ResolveAsync(network, client, parse.GetRequiredValue(GlobalOptions.DataDir),
                quiet: parse.GetValue(json));
            if (noData is not null) return ClusterCli.Fail(noData);
            if (network.Module is { } module && await client.UploadBlob(module.File, module.Hash, createWallet: false) is { } refused) return ClusterCli.Fail(refused);
            var reply = await client.Ask(new QuoteJob(network.Yaml, ""));
            if (reply is not JobPrice price) return ClusterCli.Fail(reply);
            var quote = JobQuote.Of(parsed, price, CloudPrices.Shipped);
            if (parse.GetValue(json)) Console.WriteLine(ClusterCli.JsonOf(quote));
            else quote.Print(Console.Out);
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary>
/// A job's quote as `quote --json` prints it: the job's size, the price it would lock, what that means in work,
/// compute-hours, duration and GENS (<see cref="JobEstimate"/>), and the same compute-hours on reference cloud instances.
/// GENS amounts are exact decimal strings.
/// </summary>
public sealed record JobQuote(
    string Name,
    string Device,
    int Rounds,
    int Shards,
    int Replicas,
    int InnerSteps,
    long Results,
    double StepWork,
    double Work,
    double StepsPerSecond,
    int Workers,
    double ComputeHours,
    double ShardSeconds,
    int Waves,
    double RoundOverheadSeconds,
    double DurationSeconds,
    double PricePerHour,
    string Basis,
    string ResultPayout,
    string Cost,
    long CostMicros,
    string MaxTotal,
    bool FitsBudget,
    CloudQuote Cloud,
    bool Inference = false)
{
    public static JobQuote Of(JobSpec spec, JobPrice price, CloudPrices cloud)
    {
        var e = JobPricing.Estimate(spec, price);
        var costGens = (double)e.CostMicros / Gens.MicrosPerGens;
        return new JobQuote(spec.Name, spec.Requirements.Device.ToString().ToLowerInvariant(), spec.Rounds, spec.Shards, spec.Replicas,
            Actors.Kinds.JobKinds.Of(spec).StepsPerResult(spec),
            e.Results, price.StepWork, e.Work, price.StepsPerSecond, price.Workers,
            e.ComputeHours, e.ShardSeconds, e.Waves,
            JobPricing.RoundOverheadSeconds, e.DurationSeconds, price.PricePerHour, price.Basis, Gens.Format(price.ResultPayoutMicros), Gens.Format(e.CostMicros),
            e.CostMicros, Gens.Format(e.MaxTotalMicros), e.FitsBudget,
            new CloudQuote(cloud.AsOf, cloud.Recorded, cloud.GensUsd, costGens * cloud.GensUsd, cloud.Compare(e.Work, costGens, spec.Requirements.Device)), spec.IsInference);
    }

    /// <summary>The quote for a person: the estimate, then the cloud table.</summary>
    public void Print(TextWriter o)
    {
        var inv = CultureInfo.InvariantCulture;
        o.WriteLine($"quote for {Name}: {Rounds} round(s) x {Shards} shard(s){(Replicas > 1 ? $" x {Replicas} replicas" : "")} x {InnerSteps} {(Inference ? "batches" : "steps")} = {Results} shard result(s)");
        o.WriteLine(string.Create(inv, $"  work           {Work:N0} reference steps ({StepWork:0.###} per step; the reference step is an MLP 784-256-10 at batch 64)"));
        o.WriteLine(string.Create(inv, $"  compute-hours  {ComputeHours:0.######} at {StepsPerSecond:0.#} reference steps/s per worker"));
        o.WriteLine(string.Create(inv, $"  price          {PricePerHour:0.######} GENS per compute-hour: {Basis}"));
        o.WriteLine($"  cost           {Cost} GENS when every result is accepted ({ResultPayout} GENS each); " +
                    (FitsBudget ? $"fits budget.max-total ({MaxTotal} GENS; the rest is refunded)" : $"MORE than budget.max-total ({MaxTotal} GENS): raise it to at least {Cost}"));
        o.WriteLine(string.Create(inv, $"  duration       ~{Duration(DurationSeconds)}: {Rounds} round(s) x {Waves} wave(s) of {ShardSeconds:0.#} s on {Math.Max(1, Workers)} worker(s), " +
                                      $"+ {RoundOverheadSeconds:0.#} s per round"));
        if (Cloud.References.Count == 0) return;
        o.WriteLine(string.Create(inv, $"the same work on on-demand cloud instances (list prices as of {Cloud.AsOf}, recorded {Cloud.Recorded}; " +
                                      $"1 GENS = {Cloud.GensUsd:0.##} USD assumed; this job: {Cloud.CostUsd:0.######} USD):"));
        var rows = Cloud.References.Select(r => new[]
        {
            $"{r.Provider} {r.Instance}", r.Hardware, string.Create(inv, $"{r.UsdPerHour:0.###}"), string.Create(inv, $"{r.BilledHours * 3600:0.#}"),
            string.Create(inv, $"{r.CostUsd:0.######}"), string.Create(inv, $"{r.SavingPercent:+0.0;-0.0;0.0}%"),
        }).Prepend(["INSTANCE", "HARDWARE", "USD/H", "BILLED S", "COST USD", "SAVING"]).ToList();
        var widths = Enumerable.Range(0, 6).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows) o.WriteLine("  " + string.Join("  ", row.Select((cell, c) => c >= 2 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd());
        o.WriteLine("  (an instance's seconds: the job's work at its class's reference throughput, billed at least the provider's minimum;");
        o.WriteLine("   sources in `gensyn quote --json`: re-check each provider's price page before relying on a figure)");
    }

    private static string Duration(double seconds) => seconds switch
    {
        < 120 => string.Create(CultureInfo.InvariantCulture, $"{seconds:0} s"),
        < 7200 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:0.#} min"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:0.#} h"),
    };
}

/// <summary>The cloud side of a quote: the table's date, the GENS to USD rate assumed, the job's cost in USD, and each comparable instance.</summary>
public sealed record CloudQuote(string AsOf, string Recorded, double GensUsd, double CostUsd, IReadOnlyList<CloudComparison> References);
