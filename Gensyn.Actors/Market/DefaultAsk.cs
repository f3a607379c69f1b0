using System.Globalization;
using Akka.Configuration;

namespace Gensyn.Actors.Market;

/// <summary>
/// What a provider asks per compute-hour when it sets no <c>--price</c>: <see cref="Fraction"/> of what the cloud
/// charges for the compute it measured. The cloud reference of its class (the cheapest on-demand instance of the
/// class, <see cref="CloudGensPerHour"/> GENS an hour, doing <see cref="CloudStepsPerSecond"/> reference steps per
/// second) sets the price of a reference step; the worker asks that for its own measured throughput:
/// <c>ask = Fraction x CloudGensPerHour x measured / CloudStepsPerSecond</c>, rounded to the micro-GENS. So an hour of
/// a worker twice as fast asks twice as much, and a reference step costs <see cref="Fraction"/> of the cloud's
/// whatever the worker's speed. A measurement that is not a positive number counts as the reference's throughput; one
/// over <see cref="MaxThroughputRatio"/> times it counts as that many (the ask stays finite and bounded; the edge
/// still bounds the throughput a profile may claim).
/// </summary>
public sealed record DefaultAsk(
    double Fraction,
    double CloudGensPerHour,
    double CloudStepsPerSecond,
    double MaxThroughputRatio = DefaultAsk.DefaultMaxThroughputRatio)
{
    public const string Section = "gensyn.market.default-ask";
    public const double DefaultFraction = 0.2;
    public const double DefaultMaxThroughputRatio = 100;

    /// <summary>
    /// The ask, in GENS per compute-hour, of a worker that measured <paramref name="measuredStepsPerSecond"/>.
    /// </summary>
    public double For(double measuredStepsPerSecond)
    {
        var ratio = double.IsFinite(measuredStepsPerSecond) && measuredStepsPerSecond > 0
            ? Math.Min(measuredStepsPerSecond / CloudStepsPerSecond, MaxThroughputRatio)
            : 1;
        return Math.Round(Fraction * CloudGensPerHour * ratio, 6, MidpointRounding.AwayFromZero);
    }

    /// <summary>The rule in words, for the worker's log.</summary>
    public string Explain(double measuredStepsPerSecond) => string.Create(CultureInfo.InvariantCulture,
        $"{For(measuredStepsPerSecond):0.######} GENS per compute-hour: {Fraction:0.###} of the cloud's " +
        $"{CloudGensPerHour:0.######} GENS an hour for {CloudStepsPerSecond:0.#} reference steps/s, at this worker's " +
        $"{measuredStepsPerSecond:0.#} steps/s (set --price to ask something else)");

    /// <summary>
    /// The rule from <paramref name="config"/>'s <c>gensyn.market.default-ask</c> section (<c>cloud-fraction</c>,
    /// <c>max-throughput-ratio</c>; the defaults without them), against the cloud reference given. Null, with what is
    /// wrong in <paramref name="problem"/>, when a setting is out of range.
    /// </summary>
    public static DefaultAsk? From(
        Config? config, double cloudGensPerHour, double cloudStepsPerSecond, out string? problem)
    {
        var fraction = config?.GetDouble($"{Section}.cloud-fraction", DefaultFraction) ?? DefaultFraction;
        var maxRatio = config?.GetDouble($"{Section}.max-throughput-ratio", DefaultMaxThroughputRatio)
                       ?? DefaultMaxThroughputRatio;
        problem = !(fraction is >= 0 and <= 10) ? $"{Section}.cloud-fraction must be from 0 to 10, not {fraction}"
            : !(maxRatio is >= 1 and <= 1_000_000)
                ? $"{Section}.max-throughput-ratio must be from 1 to 1000000, not {maxRatio}"
            : !(double.IsFinite(cloudGensPerHour) && cloudGensPerHour > 0 && double.IsFinite(cloudStepsPerSecond)
                && cloudStepsPerSecond > 0) ? "the cloud reference must have a positive price and throughput"
            : null;
        return problem is null ? new DefaultAsk(fraction, cloudGensPerHour, cloudStepsPerSecond, maxRatio) : null;
    }
}
