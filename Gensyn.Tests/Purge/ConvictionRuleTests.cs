using Akka.Configuration;
using Gensyn.Actors.Purge;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts.Messages;
using Gensyn.Tests.Cli;
using static Gensyn.Tests.Purge.PurgeJournal;

namespace Gensyn.Tests.Purge;

/// <summary>What convicts a key: a fraud verdict, an invalid answer, or refusal (unanswered challenges in a row while
/// its session is alive); never a dead process's silence.</summary>
public class ConvictionRuleTests
{
    private static readonly PurgeSettings Three = new(RefusalsToConvict: 3);

    private static KeyStanding Judge(KeyStanding standing, VerdictOutcome outcome, bool alive = true, int shard = 0) =>
        ConvictionRule.After(standing, JobId, Verdict(0, shard, 1, "cheat-1", Cheat, outcome), alive, Three);

    private static KeyStanding Unanswered(int times, bool alive = true) =>
        Enumerable.Range(0, times).Aggregate(new KeyStanding(Cheat),
            (s, i) => Judge(s, VerdictOutcome.Unavailable, alive, shard: i));

    [Fact]
    public void A_fraud_verdict_convicts_the_key_at_once_citing_the_evidence_its_slash_cites()
    {
        var fraud = Verdict(0, 1, 1, "cheat-1", Cheat, VerdictOutcome.Fraud);

        var standing = ConvictionRule.After(new KeyStanding(Cheat), JobId, fraud, sessionAlive: true, Three);

        var conviction = Assert.IsType<KeyConvicted>(standing.Conviction);
        Assert.Equal(ConvictionGround.Fraud, conviction.Ground);
        Assert.Equal(Cheat, conviction.Address);
        Assert.Equal(ConvictionRule.HashOf(JobLedger.Evidence(JobId, fraud)), conviction.EvidenceHash);
    }

    [Fact]
    public void An_invalid_answer_convicts_the_key_at_once()
    {
        var standing = Judge(new KeyStanding(Cheat), VerdictOutcome.Invalid);

        Assert.Equal(ConvictionGround.InvalidAnswer, standing.Conviction?.Ground);
    }

    [Fact]
    public void Unanswered_challenges_while_the_session_is_alive_convict_only_at_the_threshold()
    {
        var below = Unanswered(2);
        var at = Unanswered(3);

        Assert.False(below.Convicted);
        Assert.Equal(2, below.Unanswered.Count);
        Assert.Equal(ConvictionGround.Refusal, at.Conviction?.Ground);
        Assert.Equal(ConvictionRule.HashOf(string.Join("\n", at.Unanswered)), at.Conviction!.EvidenceHash);
    }

    [Fact]
    public void A_conviction_names_the_job_whose_verdict_convicted_the_key()
    {
        Assert.Equal(JobId, Unanswered(3).Conviction!.Job);
        Assert.Equal(JobId, Judge(new KeyStanding(Cheat), VerdictOutcome.Fraud).Conviction!.Job);
        Assert.Equal(JobId, Judge(new KeyStanding(Cheat), VerdictOutcome.Invalid).Conviction!.Job);
    }

    [Fact]
    public void An_accepted_result_ends_a_run_of_unanswered_challenges()
    {
        var standing = Judge(Unanswered(2), VerdictOutcome.Accepted);
        standing = Judge(Judge(standing, VerdictOutcome.Unavailable, shard: 5), VerdictOutcome.Unavailable, shard: 6);

        Assert.False(standing.Convicted);
        Assert.Equal(2, standing.Unanswered.Count);
    }

    [Fact]
    public void A_dead_process_is_never_convicted_for_challenges_it_left_unanswered()
    {
        var standing = Unanswered(10, alive: false);

        Assert.False(standing.Convicted);
        Assert.Empty(standing.Unanswered);
    }

    [Fact]
    public void A_conviction_is_final()
    {
        var convicted = Judge(new KeyStanding(Cheat), VerdictOutcome.Fraud);

        var after = Judge(Judge(convicted, VerdictOutcome.Accepted), VerdictOutcome.Invalid);

        Assert.Equal(convicted, after);
    }

    [Fact]
    public void A_key_without_an_address_is_never_convicted()
    {
        var verdict = Verdict(0, 0, 1, "anonymous", "", VerdictOutcome.Fraud);

        Assert.False(ConvictionRule.After(new KeyStanding(""), JobId, verdict, true, Three).Convicted);
    }

    [Fact]
    public void A_verdict_about_another_key_is_refused_with_a_line_that_says_so()
    {
        var verdict = Verdict(0, 0, 1, "honest-1", Honest, VerdictOutcome.Fraud);

        var error = Assert.Throws<ArgumentException>(() =>
            ConvictionRule.After(new KeyStanding(Cheat), JobId, verdict, true, Three));

        Assert.Contains($"the verdict is about key {Honest}, not {Cheat}", error.Message);
    }

    [Fact]
    public void The_refusal_threshold_is_read_from_the_purge_section_and_the_shipped_file_states_the_default()
    {
        var shipped = ConfigurationFactory.ParseString(
            File.ReadAllText(Path.Combine(GensynProcess.RepositoryRoot, "cluster.hocon")));

        Assert.Equal(5, PurgeSettings.From(ConfigurationFactory.ParseString("gensyn.purge.refusals-to-convict = 5"))
            .RefusalsToConvict);
        Assert.Equal(PurgeSettings.Default, PurgeSettings.From(shipped));
        Assert.Equal(PurgeSettings.Default, PurgeSettings.From(ConfigurationFactory.Empty));
    }
}
