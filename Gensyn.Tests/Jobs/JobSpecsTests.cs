using Gensyn.Contracts.Jobs;

namespace Gensyn.Tests.Jobs;

/// <summary>
/// The per-node spec cache: one parse per <see cref="SpecRef"/>, bounded, and YAML that is not its ref's refused.
/// </summary>
public sealed class JobSpecsTests
{
    private int _parses;

    private JobSpecs Counting(int capacity = JobSpecs.DefaultCapacity) => new(capacity, (yaml, submission) =>
    {
        _parses++;
        return JobSpecParser.ParseNetwork(yaml, submission);
    });

    [Fact]
    public void A_spec_is_parsed_once_per_ref_however_often_it_is_read()
    {
        var specs = Counting();
        var yaml = TestSpecs.SyntheticYaml();

        var first = specs.Get(yaml);
        var again = specs.Get(SpecRef.Of(yaml), yaml);
        var third = specs.Get(yaml);

        Assert.Equal(1, _parses);
        Assert.Same(first, again);
        Assert.Same(first, third);
        Assert.Equal(SpecRef.Of(yaml), SpecRef.Of(new string(yaml.ToCharArray())));
    }

    [Fact]
    public void Different_specs_are_parsed_separately()
    {
        var specs = Counting();

        var two = specs.Get(TestSpecs.SyntheticYaml(rounds: 2));
        var three = specs.Get(TestSpecs.SyntheticYaml(rounds: 3));

        Assert.Equal(2, _parses);
        Assert.Equal(2, two.Rounds);
        Assert.Equal(3, three.Rounds);
    }

    [Fact]
    public void Yaml_whose_hash_is_not_its_ref_is_refused_and_nothing_is_kept()
    {
        var specs = Counting();
        var claimed = SpecRef.Of(TestSpecs.SyntheticYaml(rounds: 2));
        var other = TestSpecs.SyntheticYaml(rounds: 3);

        var e = Assert.Throws<JobSpecException>(() => specs.Get(claimed, other));

        Assert.Contains($"does not hash to {claimed}", Assert.Single(e.Errors));
        Assert.Equal(0, _parses);
        Assert.Null(specs.TryGet(claimed));
        Assert.Equal(0, specs.Count);
    }

    [Fact]
    public void A_submission_is_parsed_with_the_submission_rules_and_then_kept_for_the_job_under_the_text_it_journals()
    {
        var specs = Counting();
        var yaml = TestSpecs.SyntheticYaml();

        var submitted = specs.Submission(yaml);
        var started = specs.Get(JobSpecParser.WithExplicitDefaults(yaml));

        Assert.Equal(1, _parses);
        Assert.Same(submitted, started);
    }

    [Fact]
    public void A_submission_with_a_retired_field_is_refused_though_the_same_spec_reads_from_a_journal()
    {
        var specs = Counting();
        var yaml = TestSpecs.SyntheticYaml() + "\nbudget: { price-per-step: 0.001 }\n";

        Assert.NotNull(specs.Get(yaml));
        Assert.Throws<JobSpecException>(() => specs.Submission(yaml));
    }

    [Fact]
    public void A_spec_that_fails_to_parse_is_not_kept()
    {
        var specs = Counting();

        Assert.Throws<JobSpecException>(() => specs.Get("name: [unclosed"));
        Assert.Throws<JobSpecException>(() => specs.Get("name: [unclosed"));

        Assert.Equal(2, _parses);
        Assert.Equal(0, specs.Count);
    }

    [Fact]
    public void Past_its_capacity_the_least_recently_used_spec_is_dropped_and_read_again_when_it_returns()
    {
        var specs = Counting(capacity: 2);
        var (a, b, c) = (TestSpecs.SyntheticYaml(rounds: 1), TestSpecs.SyntheticYaml(rounds: 2),
            TestSpecs.SyntheticYaml(rounds: 3));

        specs.Get(a);
        specs.Get(b);
        specs.Get(a); // a is now the most recently used
        specs.Get(c); // drops b

        Assert.Equal(2, specs.Count);
        Assert.NotNull(specs.TryGet(SpecRef.Of(a)));
        Assert.Null(specs.TryGet(SpecRef.Of(b)));
        Assert.Equal(3, _parses);
        specs.Get(b);
        Assert.Equal(4, _parses);
    }
}
