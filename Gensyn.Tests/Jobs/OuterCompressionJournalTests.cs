using Gensyn.Actors.Jobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Outer;
using Gensyn.Training.State;

namespace Gensyn.Tests.Jobs;

/// <summary>
/// Jobs journalled before <c>training.outer-compression</c> existed keep their uncompressed outer step when they are
/// resumed or rolled back, and jobs accepted now journal their spec with the codec written out.
/// </summary>
public sealed class OuterCompressionJournalTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A spec as a journal written before the field existed holds it: no outer-compression.</summary>
    private static readonly string OldYaml = TestSpecs.SyntheticYaml();

    private static OuterCompressionKind Journalled(string yaml) =>
        JobSpecParser.ParseNetwork(yaml).RequireTraining().OuterCompression.Kind;

    [Fact]
    public void A_spec_without_the_field_reads_uncompressed_from_a_journal_and_int8_as_a_submission()
    {
        Assert.Equal(OuterCompressionKind.None, Journalled(OldYaml));
        Assert.Equal(OuterCompressionKind.Int8,
            JobSpecParser.ParseNetwork(OldYaml, submission: true).RequireTraining().OuterCompression.Kind);
        Assert.Equal(OuterCompressionKind.Int8,
            JobSpecParser.Parse(OldYaml, Directory.GetCurrentDirectory()).RequireTraining().OuterCompression.Kind);
    }

    [Fact]
    public void An_old_journal_replayed_into_a_job_state_keeps_the_uncompressed_outer_step()
    {
        var state = new JobProjection().Apply(new JobSubmitted((JobId)"job-00000001", OldYaml, "", T0)).State;

        Assert.Equal(OuterCompressionKind.None, state.Spec!.RequireTraining().OuterCompression.Kind);
    }

    [Fact]
    public void A_job_accepted_now_journals_int8_written_out_and_reads_it_back_as_int8()
    {
        var decision = new JobState().Decide(new StartJob((JobId)"job-00000002", OldYaml, ""),
            new JobRules(MaxShardFailures: 2), T0);

        var submitted = Assert.IsType<JobSubmitted>(Assert.Single(decision.Events));
        Assert.Contains("outer-compression: int8", submitted.SpecYaml);
        Assert.Equal(OuterCompressionKind.Int8, Journalled(submitted.SpecYaml));
        var state = new JobProjection().Apply(submitted).State;
        Assert.Equal(OuterCompressionKind.Int8, state.Spec!.RequireTraining().OuterCompression.Kind);
    }

    [Theory]
    [InlineData("training:\n  rounds: 2\n  shards: 1\n")]
    [InlineData("training: { rounds: 2, shards: 1 }\n")]
    [InlineData("training: {}\n")]
    [InlineData("training:\n")]
    [InlineData("")]
    public void Writing_the_default_out_keeps_every_other_field_and_reads_as_int8_everywhere(string training)
    {
        var yaml = "name: job\nmodel: { kind: mlp }\ndataset: { name: mnist }\n" + training;

        var written = JobSpecParser.WithExplicitDefaults(yaml);

        var before = JobSpecParser.ParseNetwork(yaml, submission: true);
        var after = JobSpecParser.ParseNetwork(written);
        Assert.Equal(OuterCompressionKind.Int8, after.RequireTraining().OuterCompression.Kind);
        Assert.Equal(before.RequireTraining() with { OuterCompressionField = null },
            after.RequireTraining() with { OuterCompressionField = null });
        Assert.Equal(written, JobSpecParser.WithExplicitDefaults(written));
    }

    [Theory]
    [InlineData("outer-compression: none", OuterCompressionKind.None)]
    [InlineData("outer-compression: fp16", OuterCompressionKind.Fp16)]
    public void A_codec_the_requester_chose_is_journalled_as_written(string field, OuterCompressionKind kind)
    {
        var yaml = $"name: job\nmodel: {{ kind: mlp }}\ndataset: {{ name: mnist }}\ntraining: {{ {field} }}\n";

        Assert.Equal(yaml, JobSpecParser.WithExplicitDefaults(yaml));
        Assert.Equal(kind, Journalled(yaml));
    }

    [Fact]
    public void An_inference_spec_and_text_that_does_not_parse_are_left_as_they_are()
    {
        const string broken = "name: [unclosed\n";
        const string inference = "name: job\nkind: inference\nmodel: { kind: mlp }\n";

        Assert.Equal(broken, JobSpecParser.WithExplicitDefaults(broken));
        Assert.Equal(inference, JobSpecParser.WithExplicitDefaults(inference));
    }

    [Fact]
    public void An_old_journals_outer_step_is_the_uncompressed_one_bit_for_bit()
    {
        var compression = JobSpecParser.ParseNetwork(OldYaml).RequireTraining().OuterCompression;
        var random = new Random(5);
        float[] Values() => [.. Enumerable.Range(0, 300).Select(_ => (float)random.NextDouble() - 0.5f)];
        var start = new StateSnapshot([new StateTensor("param/w", [300], Values())], 0);
        var ends = new[] { Values(), Values() }
            .Select(v => new StateSnapshot([new StateTensor("param/w", [300], v)], 8)).ToList();

        var next = OuterStep.Apply(start, ends, 0.7, 0.9, compression, 1).Next.Find("param/w")!.Values;

        // The outer step as it was before compression existed: mean pseudo-gradient, then Nesterov.
        var expected = new float[300];
        for (var i = 0; i < 300; i++)
        {
            var d = (0f + (start.Tensors[0].Values[i] - ends[0].Tensors[0].Values[i])
                        + (start.Tensors[0].Values[i] - ends[1].Tensors[0].Values[i])) / 2f;
            var velocity = d;
            expected[i] = start.Tensors[0].Values[i] - 0.7f * (d + 0.9f * velocity);
        }
        Assert.Equal(expected, next);
    }
}
