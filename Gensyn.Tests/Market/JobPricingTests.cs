using Gensyn.Actors.Market;
using Gensyn.Actors.Scheduling;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Market;

/// <summary>The price a job locks when it starts, what each accepted result earns at it, and the quote built on it.</summary>
public class JobPricingTests
{
    private const double Reference = 640;
    private static readonly ShardNeeds Any = new("any", 0, 0.5);

    private static SchedulerState<string> Market(params (string Id, string Device, double Price, double Throughput)[] workers)
    {
        var state = new SchedulerState<string>();
        foreach (var (id, device, price, throughput) in workers)
            state.Register(new WorkerEntry<string>((WorkerId)id, id, device, 16, 1, "c", price, Throughput: throughput));
        return state;
    }

    /// <summary>Makes <paramref name="count"/> of the cheapest idle workers busy with another job's shards.</summary>
    private static void Busy(SchedulerState<string> state, int count)
    {
        for (var i = 0; i < count; i++) state.Enqueue(new WorkRequest<string>((JobId)"job-busy", 0, i, $"busy-{i}"));
        state.Match();
    }

    [Fact]
    public void The_lock_is_the_clearing_price_of_the_idle_workers_for_the_jobs_own_demand()
    {
        var state = Market(("a", "cpu", 0.1, 600), ("b", "cpu", 0.3, 700), ("c", "cpu", 0.2, 650));

        Assert.Equal(0.1, JobPricing.Lock(state, Any, demand: 1, Reference).PricePerHour);
        Assert.Equal(0.2, JobPricing.Lock(state, Any, demand: 2, Reference).PricePerHour);
        var all = JobPricing.Lock(state, Any, demand: 4, Reference);
        Assert.Equal(0.3, all.PricePerHour);
        Assert.Equal(3, all.Workers);
        Assert.StartsWith("the clearing price of 3 idle worker(s)", all.Basis);
        Assert.Contains("4 shard(s) of demand (4 of this job's, 0 queued)", all.Basis);
    }

    [Fact]
    public void The_price_rises_with_demand_queued_by_other_jobs_and_falls_with_supply()
    {
        var state = Market(("a", "cpu", 0.1, 600), ("b", "cpu", 0.2, 600), ("c", "cpu", 0.3, 600), ("d", "cpu", 0.4, 600));
        var alone = JobPricing.Lock(state, Any, demand: 1, Reference).PricePerHour;
        // Two shards of another job wait for a cuda worker that is not there: they are not this market's demand...
        state.Enqueue(new WorkRequest<string>((JobId)"job-x", 0, 0, "x0", Needs: new ShardNeeds("cuda", 0, 1)));
        Assert.Equal(alone, JobPricing.Lock(state, Any, demand: 1, Reference).PricePerHour);
        // ...but shards that these workers could take are (they stay queued only because their cap is below every ask).
        state.Enqueue(new WorkRequest<string>((JobId)"job-y", 0, 0, "y0", Needs: new ShardNeeds("any", 0, 0.05)));
        state.Enqueue(new WorkRequest<string>((JobId)"job-y", 0, 1, "y1", Needs: new ShardNeeds("cpu", 0, 0.05)));
        state.Match();
        var crowded = JobPricing.Lock(state, Any, demand: 1, Reference);
        Assert.True(crowded.PricePerHour > alone, $"{crowded.PricePerHour} should be above {alone}");
        Assert.Equal(0.3, crowded.PricePerHour);
        Assert.Contains("(1 of this job's, 2 queued)", crowded.Basis);

        // More supply at lower asks brings it down.
        state.Register(new WorkerEntry<string>((WorkerId)"e", "e", "cpu", 16, 1, "c", 0.05, Throughput: 600));
        state.Register(new WorkerEntry<string>((WorkerId)"f", "f", "cpu", 16, 1, "c", 0.06, Throughput: 600));
        state.Match();  // y0 and y1 (cap 0.05) can take e only: one of them runs there
        var supplied = JobPricing.Lock(state, Any, demand: 1, Reference);
        Assert.True(supplied.PricePerHour < crowded.PricePerHour, $"{supplied.PricePerHour} should be below {crowded.PricePerHour}");
    }

    [Fact]
    public void The_lock_never_exceeds_the_jobs_cap_and_says_so()
    {
        var state = Market(("a", "cpu", 0.4, 600), ("b", "cpu", 0.9, 600));

        var price = JobPricing.Lock(state, Any with { MaxPricePerHour = 0.5 }, demand: 2, Reference);

        Assert.Equal(0.5, price.PricePerHour);
        Assert.Contains("capped at the job's max-price-per-hour (0.9 uncapped)", price.Basis);
        Assert.Equal(1, price.Workers);  // only a asks at most the cap
        var unserved = JobPricing.Lock(state, Any with { MaxPricePerHour = 0.3 }, demand: 1, Reference);
        Assert.Equal(0, unserved.Workers);
        Assert.EndsWith("none of them asks at most that cap, so the job waits until one does", unserved.Basis);
        for (var demand = 1; demand <= 5; demand++)
            Assert.True(JobPricing.Lock(state, Any with { MaxPricePerHour = 0.3 }, demand, Reference).PricePerHour <= 0.3);
    }

    [Fact]
    public void Workers_that_miss_the_jobs_requirements_do_not_set_its_price()
    {
        var state = Market(("cpu-1", "cpu", 0.1, 600), ("gpu-1", "cuda", 0.45, 9000), ("gpu-2", "cuda", 0.35, 11000));

        var price = JobPricing.Lock(state, new ShardNeeds("cuda", 0, 0.5), demand: 1, Reference);

        Assert.Equal(0.35, price.PricePerHour);
        Assert.Equal(10_000, price.StepsPerSecond);  // the median of 9,000 and 11,000
        Assert.Equal(2, price.Workers);
    }

    [Fact]
    public void With_every_suitable_worker_busy_the_price_clears_over_all_of_them()
    {
        var state = Market(("a", "cpu", 0.1, 500), ("b", "cpu", 0.2, 700), ("c", "cpu", 0.3, 900));
        Busy(state, 3);

        var price = JobPricing.Lock(state, Any, demand: 2, Reference);

        Assert.Equal(0.2, price.PricePerHour);
        Assert.Equal(700, price.StepsPerSecond);
        Assert.StartsWith("no idle worker: the clearing price of all 3 registered worker(s)", price.Basis);
    }

    [Fact]
    public void Throughput_is_the_median_of_the_idle_workers_the_price_came_from()
    {
        var state = Market(("a", "cpu", 0.1, 400), ("b", "cpu", 0.2, 800), ("c", "cpu", 0.3, 650), ("d", "cpu", 0.4, 0));

        // d never measured itself: it does not count; the median of 400, 650 and 800 is 650.
        Assert.Equal(650, JobPricing.Lock(state, Any, demand: 1, Reference).StepsPerSecond);
        Busy(state, 2);  // a and b are busy: c and d are the idle ones, and only c measured
        Assert.Equal(650, JobPricing.Lock(state, Any, demand: 1, Reference).StepsPerSecond);
    }

    [Fact]
    public void Without_a_worker_that_meets_the_requirements_the_job_is_priced_at_its_cap_and_the_reference_throughput()
    {
        var state = Market(("a", "cpu", 0.1, 600));

        var price = JobPricing.Lock(state, new ShardNeeds("cuda", 0, 0.75), demand: 4, Reference);

        Assert.Equal(0.75, price.PricePerHour);
        Assert.Equal(Reference, price.StepsPerSecond);
        Assert.Equal(0, price.Workers);
        Assert.StartsWith("no registered worker meets the job's requirements: priced at its max-price-per-hour", price.Basis);
        Assert.Equal(price, JobPricing.Lock(new SchedulerState<string>(), new ShardNeeds("cuda", 0, 0.75), 4, Reference));
    }

    [Theory]
    [InlineData(0.36, 100, 1.0, 1000, 10)]        // 100 steps / 1000 per s = 0.1 s = 1/36,000 h; x 0.36 = 10 micro-GENS
    [InlineData(0.5, 400, 2.0, 640, 174)]         // 800 / 640 = 1.25 s; x 0.5 / 3600 = 173.6 micro-GENS, rounded
    [InlineData(0.2, 8, 0.0001, 640, 1)]          // a tiny result still earns 1 micro-GENS
    [InlineData(0, 100, 1.0, 640, 1)]
    [InlineData(3.6, 3_600, 1.0, 1, 3_600_000)]   // an hour of compute (3,600 steps at 1 step/s) at 3.6 GENS/h
    public void Each_accepted_result_earns_price_times_its_compute_hours_rounded_to_the_micro_GENS(double price, int steps, double stepWork, double stepsPerSecond, long micros)
    {
        Assert.Equal(micros, JobPricing.ResultPayoutMicros(price, steps, stepWork, stepsPerSecond));
    }

    private static JobSpec Spec(int rounds = 3, int shards = 4, int innerSteps = 200, string mode = "spot-check", double maxTotal = 1) =>
        JobSpecParser.Parse($"""
            name: priced
            model: {"{"} kind: mlp, hidden: [256] {"}"}
            dataset: {"{"} name: mnist {"}"}
            training: {"{"} rounds: {rounds}, shards: {shards}, inner-steps: {innerSteps}, batch-size: 64 {"}"}
            verification: {"{"} mode: {mode} {"}"}
            budget: {"{"} max-total: {maxTotal} {"}"}
            """, Directory.GetCurrentDirectory());

    [Fact]
    public void A_price_for_a_spec_carries_its_step_work_and_result_payout()
    {
        var price = JobPricing.For(Spec(), new JobPrice(0.36, 1000, "test", 2));

        Assert.Equal(1.0, price.StepWork, 12);
        Assert.Equal(20, price.ResultPayoutMicros);  // 200 steps / 1000 per s = 0.2 s at 0.36 GENS/h
        Assert.Equal(3 * 4 * 20, JobPricing.MaxPayoutMicros(Spec(), price));
        Assert.Equal(2 * 3 * 4 * 20, JobPricing.MaxPayoutMicros(Spec(mode: "replicated"), price));
    }

    [Fact]
    public void A_deposit_that_cannot_cover_the_job_at_its_price_is_a_one_line_problem_saying_what_to_raise()
    {
        var spec = Spec();
        var price = JobPricing.For(spec, new JobPrice(0.36, 1000, "test", 2));

        Assert.Null(JobPricing.DepositProblem(spec, price, 240));
        var problem = JobPricing.DepositProblem(spec, price, 239);
        Assert.NotNull(problem);
        Assert.Contains("costs up to 0.00024 GENS", problem);
        Assert.Contains("raise budget.max-total to at least 0.00024", problem);
        Assert.DoesNotContain('\n', problem);
    }

    [Fact]
    public void The_estimate_counts_work_compute_hours_waves_over_the_workers_and_cost()
    {
        var spec = Spec(rounds: 3, shards: 4, innerSteps: 200, maxTotal: 0.0002);
        var price = JobPricing.For(spec, new JobPrice(0.36, 1000, "test", Workers: 3));

        var estimate = JobPricing.Estimate(spec, price);

        Assert.Equal(12, estimate.Results);
        Assert.Equal(12 * 200, estimate.Work, 9);
        Assert.Equal(2.4 / 3600, estimate.ComputeHours, 12);
        Assert.Equal(0.2, estimate.ShardSeconds, 12);
        Assert.Equal(2, estimate.Waves);  // 4 shards on 3 workers
        Assert.Equal(3 * (2 * 0.2 + JobPricing.RoundOverheadSeconds), estimate.DurationSeconds, 9);
        Assert.Equal(240, estimate.CostMicros);
        Assert.Equal(estimate.ComputeHours * 0.36 * 1e6, estimate.CostMicros, 6);
        Assert.False(estimate.FitsBudget);
        Assert.True(JobPricing.Estimate(Spec(maxTotal: 0.00024), price).FitsBudget);
    }
}
