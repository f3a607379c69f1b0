using Akka.Configuration;
using Gensyn.Actors.Settlement;

namespace Gensyn.Tests.Settlement;

/// <summary>The deadline a job's escrow needs: the margin times its quoted duration, never less than the minimum.</summary>
public class DeadlineRuleTests
{
    private static readonly DeadlineRule Rule = DeadlineRule.Default;

    [Fact]
    public void A_long_job_needs_three_times_its_quoted_duration_and_a_short_one_24_hours()
    {
        Assert.Equal(TimeSpan.FromHours(60), Rule.Required(TimeSpan.FromHours(20)));
        Assert.Equal(TimeSpan.FromHours(24), Rule.Required(TimeSpan.FromMinutes(5)));
        Assert.Equal(TimeSpan.FromHours(24), Rule.Required(TimeSpan.Zero));
        Assert.Equal(61, Rule.RequiredHours(TimeSpan.FromHours(20) + TimeSpan.FromMinutes(10)));
    }

    [Fact]
    public void A_quote_without_a_finite_duration_needs_the_minimum_and_never_overflows()
    {
        Assert.Equal(TimeSpan.Zero, DeadlineRule.Duration(double.NaN));
        Assert.Equal(TimeSpan.Zero, DeadlineRule.Duration(double.PositiveInfinity));
        Assert.Equal(TimeSpan.Zero, DeadlineRule.Duration(-5));
        var huge = DeadlineRule.Duration(1e300);
        Assert.True(Rule.Required(huge) >= huge);
        Assert.Equal(TimeSpan.MaxValue, Rule.Required(TimeSpan.MaxValue));
    }

    [Fact]
    public void Submit_refuses_a_too_short_deadline_in_one_line_that_names_the_hours_to_use()
    {
        var problem = Rule.HoursProblem(12, TimeSpan.FromHours(20));
        Assert.NotNull(problem);
        Assert.DoesNotContain('\n', problem);
        Assert.Contains("--deadline-hours 12 is too soon", problem);
        Assert.Contains("at least 60 h", problem);
        Assert.Contains("nothing was deposited", problem);
        Assert.Null(Rule.HoursProblem(72, TimeSpan.FromHours(20)));
        Assert.NotNull(Rule.HoursProblem(23, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void The_margin_and_the_minimum_are_settings()
    {
        var config = ConfigurationFactory.ParseString("gensyn.settlement { deadline-margin = 5, minimum-deadline = 48h }");
        var rule = DeadlineRule.From(config);
        Assert.Equal(new DeadlineRule(5, TimeSpan.FromHours(48)), rule);
        Assert.Equal(DeadlineRule.Default, DeadlineRule.From(ConfigurationFactory.Empty));
        var problem = rule.Problem("job-0000abcd", TimeSpan.FromHours(30), TimeSpan.FromHours(10));
        Assert.Contains("--deadline-hours 50", problem);
    }
}
