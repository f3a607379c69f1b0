using Akka.Configuration;

namespace Gensyn.Actors.Settlement;

/// <summary>
/// How far away a job's escrow deadline must be when the job starts: <see cref="Margin"/> times the job's quoted duration, and
/// never less than <see cref="Minimum"/>. After the deadline (and the escrow's reclaim grace) the requester may take back what
/// the escrow still holds; a deadline this far away leaves the job time to run and its rounds time to be paid.
/// Settings: <c>gensyn.settlement.deadline-margin</c> (default 3) and <c>gensyn.settlement.minimum-deadline</c> (default 24h).
/// </summary>
public sealed record DeadlineRule(double Margin, TimeSpan Minimum)
{
    public const string MarginSetting = "gensyn.settlement.deadline-margin";
    public const string MinimumSetting = "gensyn.settlement.minimum-deadline";

    public static readonly DeadlineRule Default = new(3, TimeSpan.FromHours(24));

    public static DeadlineRule From(Config config) => new(
        config.GetDouble(MarginSetting, Default.Margin),
        config.GetTimeSpan(MinimumSetting, Default.Minimum, allowInfinite: false));

    /// <summary>The shortest time to the deadline that a job quoted to run for <paramref name="quoted"/> may start with.</summary>
    public TimeSpan Required(TimeSpan quoted)
    {
        var seconds = double.IsFinite(quoted.TotalSeconds) && quoted > TimeSpan.Zero ? quoted.TotalSeconds * Margin : 0;
        return seconds >= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.MaxValue : TimeSpan.FromSeconds(Math.Max(Minimum.TotalSeconds, seconds));
    }

    /// <summary>Whole hours for <c>gensyn submit --deadline-hours</c> that meet <see cref="Required"/>.</summary>
    public int RequiredHours(TimeSpan quoted) => (int)Math.Min(int.MaxValue, Math.Ceiling(Required(quoted).TotalHours));

    /// <summary>A quoted duration in seconds as a TimeSpan (zero when the quote has none, e.g. no measured throughput).</summary>
    public static TimeSpan Duration(double seconds) =>
        double.IsFinite(seconds) && seconds > 0 ? TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.MaxValue.TotalSeconds / 16)) : TimeSpan.Zero;

    /// <summary>Null when a deposit made <paramref name="hours"/> before its deadline is enough; else the one-line refusal, before anything is deposited.</summary>
    public string? HoursProblem(int hours, TimeSpan quoted) =>
        TimeSpan.FromHours(hours) >= Required(quoted) ? null
        : $"--deadline-hours {hours} is too soon: the job is quoted to run {quoted.TotalHours:0.#} h and needs a deadline at least {RequiredHours(quoted)} h away " +
          $"({Margin:0.#}x its duration, at least {Minimum.TotalHours:0} h); nothing was deposited";

    /// <summary>Null when <paramref name="left"/> until the deadline is enough for a job quoted at <paramref name="quoted"/>; else the one-line refusal.</summary>
    public string? Problem(string jobId, TimeSpan left, TimeSpan quoted)
    {
        if (left >= Required(quoted)) return null;
        return $"the deposit for {jobId} may be reclaimed in {Math.Max(0, left.TotalHours):0.#} h, but the job is quoted to run {quoted.TotalHours:0.#} h and needs a " +
               $"deadline at least {RequiredHours(quoted)} h away ({Margin:0.#}x its duration, at least {Minimum.TotalHours:0} h); submit again with --deadline-hours {RequiredHours(quoted)}";
    }
}
