using Gensyn.Actors.Scheduling;
using Gensyn.Contracts.Chain;
using Gensyn.Actors.Kinds;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Market;

/// <summary>
/// A job's price, locked when it starts, with no actors in it.
/// <list type="bullet">
/// <item>The price per compute-hour is the clearing price (<see cref="ClearingPrice.Of"/>) over the idle workers that
/// meet the job's requirements, its price cap aside, for a demand of the queued shards those workers could take plus
/// the job's own shards x replicas; when none of them is idle, over all registered workers that meet them; then capped
/// by the job's max-price-per-hour (<see cref="ClearingPrice.ForJob"/>). With no worker that meets them, the job is
/// priced at its cap.</item>
/// <item>Compute-hours are counted on the workers the price came from: their median measured throughput (reference
/// steps per second), or the network's reference throughput without one.</item>
/// <item>Each accepted shard result earns its worker price x H x StepWork / steps per second / 3600 GENS, rounded to
/// the micro-GENS and at least 1 (<see cref="ResultPayoutMicros"/>): H steps of the job, each StepWork reference steps.
/// An inference job's step is one forward batch, and H the batches of its largest shard (shards differ by at most one
/// item).</item>
/// </list>
/// </summary>
public static class JobPricing
{
    /// <summary>
    /// The price of a job with <paramref name="needs"/> (its <see cref="ShardNeeds.MaxPricePerHour"/> is the cap) and
    /// <paramref name="demand"/> shards of its own (shards x replicas), on the market <paramref name="state"/>
    /// describes.
    /// </summary>
    public static JobPrice Lock<TRef>(
        SchedulerState<TRef> state, ShardNeeds needs, int demand, double referenceStepsPerSecond) where TRef : notnull
    {
        var cap = needs.MaxPricePerHour;
        var uncapped = Probe<TRef>(needs with { MaxPricePerHour = double.PositiveInfinity });
        var meeting = state.Workers.Where(w => uncapped.Unmet(w) is null).ToList();
        var capped = Probe<TRef>(needs);
        var usable = meeting.Count(w => capped.Unmet(w) is null);
        if (meeting.Count == 0)
            return new JobPrice(cap, referenceStepsPerSecond,
                "no registered worker meets the job's requirements: priced at its max-price-per-hour, at the " +
                $"network's reference throughput ({referenceStepsPerSecond:0.#} steps/s)");
        var idle = meeting.Where(w => w.BusyWith is null).ToList();
        var pool = idle.Count > 0 ? idle : meeting;
        // Shards wait only while no idle worker takes them (their cap is below the asks, or a worker they need is
        // busy): they are demand on the workers that meet their requirements, their caps aside, as in `gensyn market`.
        var queued = state.Queue
            .Select(q => Probe<TRef>(q.Needs is { } n ? n with { MaxPricePerHour = double.PositiveInfinity } : null))
            .Count(q => pool.Any(w => q.Unmet(w) is null));
        var clearing = ClearingPrice.Of(pool.Select(w => w.Price), queued + demand)!.Value;
        var price = ClearingPrice.ForJob(clearing, cap)!.Value;
        var measured = pool.Select(w => w.EffectiveThroughput).Where(t => t > 0).Order().ToList();
        var stepsPerSecond = measured.Count == 0 ? referenceStepsPerSecond : Median(measured);
        var supply = idle.Count > 0
            ? $"the clearing price of {pool.Count} idle worker(s) that meet the job's requirements"
            : $"no idle worker: the clearing price of all {pool.Count} registered worker(s) that meet the job's " +
              "requirements";
        var basis = $"{supply}, for {queued + demand} shard(s) of demand ({demand} of this job's, {queued} queued)" +
                    (price < clearing
                        ? $", capped at the job's max-price-per-hour ({clearing:0.######} uncapped)" : "") +
                    (measured.Count == 0
                        ? $"; at the network's reference throughput ({referenceStepsPerSecond:0.#} steps/s)" : "") +
                    (usable == 0 ? "; none of them asks at most that cap, so the job waits until one does" : "");
        return new JobPrice(price, stepsPerSecond, basis, usable);
    }

    /// <summary>
    /// The price with what it means for <paramref name="spec"/>: its <see cref="JobPrice.StepWork"/> and
    /// <see cref="JobPrice.ResultPayoutMicros"/>.
    /// </summary>
    public static JobPrice For(JobSpec spec, JobPrice price)
    {
        var kind = JobKinds.Of(spec);
        var stepWork = kind.StepWork(spec);
        var steps = kind.StepsPerResult(spec);
        var payout = ResultPayoutMicros(price.PricePerHour, steps, stepWork, price.StepsPerSecond);
        return price with { StepWork = stepWork, ResultPayoutMicros = payout };
    }

    /// <summary>
    /// What one accepted shard result of H = <paramref name="innerSteps"/> steps earns: price x compute-hours, in
    /// micro-GENS, at least 1.
    /// </summary>
    public static long ResultPayoutMicros(double pricePerHour, int innerSteps, double stepWork, double stepsPerSecond)
    {
        var hours = innerSteps * stepWork / stepsPerSecond / 3600;
        return Math.Max(1, (long)Math.Round(pricePerHour * hours * Gens.MicrosPerGens, MidpointRounding.AwayFromZero));
    }

    /// <summary>
    /// The most a job pays at <paramref name="price"/>: every shard result of every round accepted, in micro-GENS.
    /// </summary>
    public static long MaxPayoutMicros(JobSpec spec, JobPrice price) =>
        checked(spec.Results * price.ResultPayoutMicros);

    /// <summary>
    /// Null when <paramref name="depositMicros"/> covers the job at <paramref name="price"/>; else what to do, in one
    /// line.
    /// </summary>
    public static string? DepositProblem(JobSpec spec, JobPrice price, long depositMicros)
    {
        var cost = MaxPayoutMicros(spec, price);
        return cost <= depositMicros
            ? null
            : $"at the current price ({price.PricePerHour:0.######} GENS per compute-hour) this job costs up to " +
              $"{Gens.Format(cost)} GENS, more than its budget.max-total of {Gens.Format(depositMicros)} GENS; " +
              $"raise budget.max-total to at least {Gens.Format(cost)} (`gensyn quote` shows the estimate)";
    }

    /// <summary>
    /// What a round costs in time beside its shards' compute: dispatch, fetching start states, verification and
    /// aggregation.
    /// </summary>
    public const double RoundOverheadSeconds = 2.0;

    /// <summary>
    /// The quote of <paramref name="spec"/> at <paramref name="price"/> (one with its StepWork and payout, see
    /// <see cref="For"/>).
    /// </summary>
    public static JobEstimate Estimate(JobSpec spec, JobPrice price)
    {
        var steps = JobKinds.Of(spec).StepsPerResult(spec);
        var work = (double)spec.Results * steps * price.StepWork;
        var shardSeconds = steps * price.StepWork / price.StepsPerSecond;
        var waves = (int)Math.Ceiling((double)spec.Shards * spec.Replicas / Math.Max(1, price.Workers));
        var cost = MaxPayoutMicros(spec, price);
        return new JobEstimate(spec.Results, work, work / price.StepsPerSecond / 3600, shardSeconds, waves,
            spec.Rounds * (waves * shardSeconds + RoundOverheadSeconds), cost, spec.DepositMicros,
            cost <= spec.DepositMicros);
    }

    private static double Median(IReadOnlyList<double> sorted) => sorted.Count % 2 == 1
        ? sorted[sorted.Count / 2]
        : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;

    /// <summary>A request that only carries needs, to ask which workers meet them.</summary>
    private static WorkRequest<TRef> Probe<TRef>(ShardNeeds? needs) => new(default, 0, 0, default!, Needs: needs);
}

/// <summary>
/// What a job would take: <see cref="Results"/> shard results of <see cref="Work"/> reference steps in all, i.e.
/// <see cref="ComputeHours"/> on the priced workers; each shard <see cref="ShardSeconds"/> of compute, run in
/// <see cref="Waves"/> waves per round over the workers that could take it; about <see cref="DurationSeconds"/> in all
/// (with <see cref="JobPricing.RoundOverheadSeconds"/> per round); <see cref="CostMicros"/> when every result is
/// accepted (rounds a job does not complete, or completes under 95%, are not paid), against the deposit
/// <see cref="MaxTotalMicros"/>.
/// </summary>
public sealed record JobEstimate(
    long Results,
    double Work,
    double ComputeHours,
    double ShardSeconds,
    int Waves,
    double DurationSeconds,
    long CostMicros,
    long MaxTotalMicros,
    bool FitsBudget);
