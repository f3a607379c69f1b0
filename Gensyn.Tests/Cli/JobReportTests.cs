using System.Text.RegularExpressions;
using Gensyn.Contracts.Messages;
using Gensyn.Edge.Wire;
using Gensyn.Node.Cli;

namespace Gensyn.Tests.Cli;

/// <summary>
/// What `status JOB` and the end of `watch` print (<see cref="JobReport"/>), what `status JOB --money` adds
/// (<see cref="MoneyReport"/>) and what `--json` keeps, on constructed views: one screen for a whole job, money as
/// totals per payee, every transaction behind --money, and the whole view in JSON.
/// </summary>
public sealed class JobReportTests
{
    private const string Payer = "0x1111111111111111111111111111111111111111";
    private const string Provider = "0x3333333333333333333333333333333333333333";
    private const int OneScreen = 24;
    private static readonly DateTimeOffset Submitted = new(2026, 12, 6, 18, 0, 0, TimeSpan.Zero);

    private static readonly (string Id, string Address)[] Workers =
    [
        ("worker-1", "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        ("worker-2", "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
    ];

    /// <summary>5 GENS, or what <paramref name="rounds"/> pay and 1 GENS more.</summary>
    private static long Deposit(int rounds) => Math.Max(5_000_000, rounds * 80_000 + 1_000_000);

    private static string Hash(int i) => "0x" + i.ToString("x2").PadLeft(64, 'e');

    /// <summary>
    /// A completed training job of <paramref name="rounds"/> rounds x 2 shards on the two <see cref="Workers"/>, each
    /// round paid (0.05 GENS to worker-1 and 0.03 to worker-2 per round) in its own transaction, the rest refunded.
    /// </summary>
    private static JobView Completed(int rounds = 8)
    {
        var (one, two) = (Workers[0], Workers[1]);
        var history = Enumerable.Range(0, rounds).Select(r => new RoundView(r, $"ckpt-{r}",
            $"{r:x2}" + new string('d', 62), 2.3 - r * 0.01, ["root-a", "root-b"], [one.Id, two.Id], 1, true, 2, 2));
        var verdicts = Enumerable.Range(0, rounds).SelectMany(r => Enumerable.Range(0, 2).Select(s =>
            new VerdictView(r, s, 0, Workers[s].Id, VerdictOutcome.Accepted, "", 4)));
        var paid = rounds * 80_000;
        var settlements = Enumerable.Range(0, rounds).Select(r => new SettlementView($"round {r + 1} payout",
                SettlementKind.PayRound, SettlementStatus.Confirmed, Hash(r), 103_634 + r, 80_000, "",
                [new SettlementPayee(one.Id, one.Address, 50_000), new SettlementPayee(two.Id, two.Address, 30_000)]))
            .Append(new SettlementView("escrow release", SettlementKind.Complete, SettlementStatus.Confirmed,
                Hash(200), 61_000, Deposit(rounds) - paid, "", []));
        var money = new MoneyView(Payer, Deposit(rounds), paid, Deposit(rounds) - paid, settlements.ToList(), []);
        var price = new JobPrice(0.2, 1000, "the clearing price of 2 idle worker(s)", 2, 1, 40_000);
        return new JobView("job-0123abcd", "mnist-mlp", JobPhase.Completed, rounds, rounds, 2, 100, 1.0, Submitted,
            Submitted.AddSeconds(92), null, new string('f', 64), 0.9123, 0.3012, null, history.ToList(), [],
            verdicts.ToList(), VerifySeconds: 1.2, TrainSeconds: 30.1, Money: money, Price: price, Owner: Payer);
    }

    /// <summary>A line of the totals: the label, the amount (aligned on its decimal point), GENS and the
    /// rest.</summary>
    private static void Total(string text, string label, string gens, string rest) =>
        Assert.Matches($@"(?m)^  {label} +{Regex.Escape(gens)} +GENS {Regex.Escape(rest)}$", text);

    [Fact]
    public void The_end_of_an_8_round_2_worker_job_fits_one_screen_and_holds_the_totals_per_payee()
    {
        var job = Completed();

        var lines = JobReport.Lines(job);
        var text = string.Join('\n', lines);

        Assert.True(lines.Count <= OneScreen, $"{lines.Count} lines:\n{text}");
        Assert.StartsWith("job job-0123abcd (mnist-mlp): completed in 1m 32s", lines[0]);
        Assert.Contains("91.23%", text);
        Assert.Contains(new string('f', 64), text);
        Total(text, "deposited", "5", $"by {Payer}");
        Total(text, "paid", "0.4", $"to worker-1 {Workers[0].Address}");    // 8 x 0.05
        Total(text, "paid", "0.24", $"to worker-2 {Workers[1].Address}");   // 8 x 0.03
        Total(text, "refunded", "4.36", $"to {Payer}");
        Assert.Contains("16 of 16 results accepted", text);
        Assert.Equal(8, lines.Count(l => l.Contains("worker-1, worker-2")));    // one line per round
        Assert.Contains("gensyn result job-0123abcd", text);
        Assert.Contains("gensyn status job-0123abcd --money", text);
        Assert.Contains("gensyn dashboard job-0123abcd", text);
        // The transactions are behind --money, not on this screen.
        Assert.DoesNotContain(job.Money!.Settlements, s => text.Contains(s.TxHash!));
    }

    [Fact]
    public void Money_lists_every_transaction_with_its_hash_gas_and_payees()
    {
        var job = Completed();
        var o = new StringWriter();

        StatusCommand.PrintMoney(job, o);

        var text = o.ToString();
        foreach (var s in job.Money!.Settlements)
        {
            Assert.Contains(s.TxHash!, text);
            Assert.Contains(s.Label, text);
            Assert.Contains(s.GasUsed.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), text);
        }
        Assert.Equal(8, text.Split('\n').Count(l => l.Contains($"0.05 GENS to worker-1 {Workers[0].Address}")));
        Assert.Equal(8, text.Split('\n').Count(l => l.Contains($"0.03 GENS to worker-2 {Workers[1].Address}")));
        Assert.Contains($"the rest refunded to {Payer}", text);
        Total(text, "paid", "0.4", $"to worker-1 {Workers[0].Address}");   // the totals come first
    }

    [Fact]
    public void A_100_round_job_shows_its_last_rounds_and_says_how_many_are_hidden()
    {
        var lines = JobReport.Lines(Completed(rounds: 100));

        Assert.True(lines.Count <= OneScreen, $"{lines.Count} lines:\n{string.Join('\n', lines)}");
        Assert.Contains(lines, l => l.Contains("92 earlier round(s) not shown"));
        var shown = lines.Where(l => l.Contains("worker-1, worker-2"))
            .Select(l => int.Parse(l.Trim().Split(' ')[0])).ToList();
        Assert.Equal(Enumerable.Range(93, JobReport.RoundsShown), shown);
    }

    [Fact]
    public void Rejections_slashes_purges_and_audits_show_in_a_few_lines_each()
    {
        var job = Completed();
        var rejections = Enumerable.Range(0, 10).Select(i =>
            new VerdictView(i % 8, 1, 0, "cheater", i == 0 ? VerdictOutcome.Fraud : VerdictOutcome.Unavailable,
                $"reason {i}", 4));
        var slash = new SettlementView($"slash of {Provider}", SettlementKind.Slash, SettlementStatus.Confirmed,
            Hash(99), 82_156,
            10_000_000, "", [], "0x" + new string('d', 64), Provider);
        var reverted = new SettlementView("round 9 payout", SettlementKind.PayRound, SettlementStatus.Reverted,
            Hash(98), 30_000, 0,
            "JobEscrow.MatchRateTooLow", []);
        job = job with
        {
            Verdicts = job.Verdicts!.Concat(rejections).ToList(),
            Money = job.Money! with { Settlements = job.Money.Settlements.Append(slash).Append(reverted).ToList() },
            Purges =
            [
                new PurgeView("revoked", 2, 1, "cheater", Provider, "fraud proven in job-x", "0x01", [], Submitted),
                new PurgeView("rolled-back", 2, null, null, null, "fraud proven in job-x", "0x01", [2, 3], Submitted,
                    12),
            ],
            Audit = [new AuditView(Provider, "fraud", "fraud proven in job-y", "0x02", 3, Submitted)],
        };

        var lines = JobReport.Lines(job);
        var text = string.Join('\n', lines);

        Assert.True(lines.Count <= OneScreen + 12, $"{lines.Count} lines:\n{text}");
        Assert.Contains("10 result(s): cheater (1 fraud, 9 unavailable)", text);
        Assert.Contains("round 1 shard 1, cheater: fraud: reason 0", text);
        Assert.DoesNotContain("reason 3", text);
        Assert.Contains("and 7 more", text);
        Total(text, "slashed", "10", $"from {Provider}'s stake (1 transaction)");
        Assert.Contains("round 9 payout: JobEscrow.MatchRateTooLow", text);
        Assert.Contains("1 result(s) revoked, 1 rollback(s)", text);
        Assert.Contains("rolled back to round 3, 2 round(s) discarded, recomputed in 12 s", text);
        Assert.Contains($"`gensyn audit job-0123abcd`", text);
    }

    private const string Busy = "all 2 worker(s) that meet the job's requirements are busy";

    [Fact]
    public void A_running_job_says_why_shards_wait_what_the_escrow_still_holds_and_how_to_follow_it()
    {
        var done = Completed();
        var job = done with
        {
            State = JobPhase.Running, Round = 3, FinishedAt = null, FinalDigest = null, TestAccuracy = null,
            RoundHistory = done.RoundHistory.Take(3).ToList(),
            Shards =
            [
                new ShardView(0, "running", "worker-1", 0, 40, 100, 1.9876),
                new ShardView(1, "waiting", null, 0, 0, 100, null, Busy),
            ],
            Money = done.Money! with
            {
                Settlements = done.Money.Settlements.Take(3).ToList(), RefundedMicros = 0, Pending = ["round 4 payout"],
            },
        };

        var text = string.Join('\n', JobReport.Lines(job, Submitted.AddMinutes(2)));

        Assert.StartsWith("job job-0123abcd (mnist-mlp): running for 2m 00s", text);
        Assert.Contains($"1 shard(s) waiting for a worker: {Busy}", text);
        Assert.Contains("40/100", text);
        Assert.Contains("refunded    nothing yet", text);
        Assert.Contains("pending     round 4 payout", text);
        Assert.Contains("gensyn watch job-0123abcd", text);
        Assert.Contains("gensyn cancel job-0123abcd", text);
        Assert.DoesNotContain("gensyn result", text);
    }

    [Fact]
    public void Another_requesters_job_shows_one_line_of_its_public_summary()
    {
        var summary = Gensyn.Edge.Requesters.RequesterEdgeService.Summary(Completed());

        var lines = JobReport.Lines(summary);

        var line = Assert.Single(lines);
        Assert.Equal("job job-0123abcd: completed, round 8/8, match rate 100.0% " +
                     "(the public summary: only the wallet that submitted it sees more)", line);
    }

    [Fact]
    public void The_json_of_a_job_is_the_whole_view_with_every_round_and_transaction_the_text_leaves_out()
    {
        var job = Completed(rounds: 100);

        var json = ClusterCli.JsonOf(job);
        var read = EdgeJson.Read<JobView>(json);

        Assert.Equal(json, ClusterCli.JsonOf(read));
        Assert.Equal(100, read.RoundHistory.Count);
        Assert.Equal(job.Money!.Settlements.Select(s => s.TxHash), read.Money!.Settlements.Select(s => s.TxHash));
    }

    [Fact]
    public void Submit_names_the_commands_that_follow_the_job()
    {
        var o = new StringWriter();

        SubmitCommand.PrintHowToFollow("mnist-mlp", "job-0123abcd", o);

        var text = o.ToString();
        Assert.StartsWith("submitted mnist-mlp as job-0123abcd", text);
        foreach (var command in new[] { "watch", "status", "dashboard", "cancel" })
            Assert.Contains($"gensyn {command} job-0123abcd", text);
    }

    [Fact]
    public void Money_without_a_job_is_one_error_line_and_exit_2_before_any_coordinator_is_asked()
    {
        using var dir = new TempDirectory();

        var result = GensynProcess.Run(dir.Path, "status", "--money", "--coordinator", "127.0.0.1:1");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --money: name the job, e.g. `gensyn status JOB --money`", result.Stderr.Trim());
        Assert.Empty(result.Stdout);
    }
}
