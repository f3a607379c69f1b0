using System.Text.Json;
using Gensyn.Contracts.Messages;
using Gensyn.Node.Cli;
using Gensyn.Tests.Cli;

namespace Gensyn.Tests.Cluster;

/// <summary>How the campaign reads a cheat's outcome from `status --json` and varies an example's spec.</summary>
public sealed class CheatCampaignTests
{
    private const string Address = "0x00000000000000000000000000000000000000c4";

    private static VerdictView Verdict(string worker, VerdictOutcome outcome, int round) =>
        new(round, 0, 0, worker, outcome, "", 2);

    private static SettlementView Settlement(SettlementKind kind, SettlementStatus status, long micros,
                                             IReadOnlyList<SettlementPayee>? payees = null, string? provider = null) =>
        new("", kind, status, "0x1", 0, micros, "", payees ?? [], null, provider);

    /// <summary>The JSON `status --json` prints for a job with these verdicts and settlements.</summary>
    private static JsonElement Status(IReadOnlyList<VerdictView> verdicts, IReadOnlyList<SettlementView> settlements)
    {
        var money = new MoneyView("0xpayer", 5_000_000, 0, 4_000_000, settlements, []);
        var view = new JobView("job-1", "mnist-mlp", JobPhase.Completed, 10, 10, 4, 100, 0.9,
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, "abc", 0.97, 0.1, null, [], [], verdicts,
            Money: money);
        return JsonDocument.Parse(ClusterCli.JsonOf(view)).RootElement.Clone();
    }

    [Fact]
    public void The_cheater_s_results_until_its_first_rejection_its_slash_and_its_pay_are_read_from_status_json()
    {
        var status = Status(
        [
            Verdict(CheatCampaign.Cheater, VerdictOutcome.Accepted, 0), Verdict("honest-1", VerdictOutcome.Accepted, 0),
            Verdict(CheatCampaign.Cheater, VerdictOutcome.Accepted, 1), Verdict("honest-1", VerdictOutcome.Fraud, 1),
            Verdict(CheatCampaign.Cheater, VerdictOutcome.Fraud, 2),
        ],
        [
            Settlement(SettlementKind.PayRound, SettlementStatus.Confirmed, 30,
                [new SettlementPayee(CheatCampaign.Cheater, Address, 10), new("honest-1", "0xh", 20)]),
            Settlement(SettlementKind.PayRound, SettlementStatus.Reverted, 7,
                [new SettlementPayee(CheatCampaign.Cheater, Address, 7)]),
            Settlement(SettlementKind.Slash, SettlementStatus.Confirmed, 10_000_000,
                provider: Address.ToUpperInvariant()),
            Settlement(SettlementKind.Slash, SettlementStatus.Confirmed, 3_000_000, provider: "0xother"),
        ]);

        var outcome = CheatCampaign.Read("job-1", status, Address);

        Assert.Equal(["accepted", "accepted", "fraud"], outcome.Verdicts);
        Assert.True(outcome.Convicted);
        Assert.Equal((3, "fraud"), (outcome.ConvictedAfter, outcome.Conviction));
        Assert.Equal(10_000_000, outcome.SlashedMicros);   // its own confirmed slash only
        Assert.Equal(10, outcome.PaidMicros);              // confirmed payouts only
        Assert.Equal(("completed", "abc"), (outcome.State, outcome.FinalDigest));
    }

    [Fact]
    public void A_cheater_never_rejected_is_not_convicted()
    {
        var status = Status([Verdict(CheatCampaign.Cheater, VerdictOutcome.Accepted, 0)], []);
        var outcome = CheatCampaign.Read("job-1", status, Address);
        Assert.False(outcome.Convicted);
        Assert.Null(outcome.Conviction);
        Assert.Equal(0, outcome.SlashedMicros);
    }

    [Fact]
    public void A_run_of_the_seeded_set_changes_only_the_training_seed_and_a_copycat_s_the_verification_mode()
    {
        var example = File.ReadAllText(Path.Combine(GensynProcess.RepositoryRoot, "examples", "mnist-mlp.yaml"));
        Assert.Equal(42, CheatCampaign.SeedOf(example));

        var seeded = CheatCampaign.Seeded(example, 43);
        Assert.Equal(43, CheatCampaign.SeedOf(seeded));
        Assert.Equal(example.Replace("seed: 42", "seed: 43"), seeded);
        var replicated = CheatCampaign.Replicated(seeded);
        Assert.Contains("\nverification: { mode: replicated }\n", replicated);
        Assert.DoesNotContain("spot-check", replicated.Split('\n').Where(l => !l.StartsWith('#')));
    }

    [Fact]
    public void A_spec_without_a_training_seed_is_refused_with_what_to_add() =>
        Assert.Contains("add one to run it seeded",
            Assert.Throws<ArgumentException>(() => CheatCampaign.Seeded("name: x\n", 1)).Message);
}
