using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Gensyn.Actors.Settlement;
using Gensyn.Contracts.Chain;
using Gensyn.Tests.Chain;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using static Gensyn.Tests.Chain.ChainFixture;

namespace Gensyn.Tests.Security;

/// <summary>
/// M1 and M2: the money on chain, attacked by the settlement key and by the requester, on the devnet contracts as a dev
/// node deploys them. Each attack worked against the contracts before: payRound took the match rate from its caller, and
/// a requester could reclaim the escrow the moment its deadline passed.
/// </summary>
public sealed class MoneyAttackTests(ChainFixture f) : IClassFixture<ChainFixture>, IAsyncLifetime
{
    private const int Authority = DevChain.SettlementAuthorityAccount;
    private const int Requester = 2;
    private const int WorkerA = 3;
    private const int WorkerB = 4;

    public Task InitializeAsync() => f.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private static byte[] Id(string name) => SHA256.HashData(Encoding.UTF8.GetBytes(name));

    private async Task<byte[]> OpenJobAsync(string name, long gens = 1_000, ulong lifetime = 86_400)
    {
        var job = Id(name);
        await f.Escrow(Requester).DepositAsync(job, f.Addresses.Token, Gens(gens), await f.NowAsync() + lifetime);
        return job;
    }

    /// <summary>The payRound of before: the caller said what the match rate was.</summary>
    [Function("payRound")]
    private sealed class RatePayRoundFunction : FunctionMessage
    {
        [Parameter("bytes32", "jobId", 1)] public byte[] JobId { get; set; } = new byte[32];
        [Parameter("bytes32", "settlementId", 2)] public byte[] SettlementId { get; set; } = new byte[32];
        [Parameter("address[]", "workers", 3)] public List<string> Workers { get; set; } = [];
        [Parameter("uint256[]", "amounts", 4)] public List<BigInteger> Amounts { get; set; } = [];
        [Parameter("uint16", "matchRateBps", 5)] public ushort MatchRateBps { get; set; }
    }

    [Fact]
    public async Task The_settlement_key_cannot_pay_a_round_whose_posted_counts_fall_below_95_percent()
    {
        var job = await OpenJobAsync("under-gate");

        // 18 of 20 accepted is 90%: however the key words it, the escrow computes the rate and refuses the round.
        var refused = await Revert.With<JobEscrowAbi.MatchRateTooLowError>(
            () => f.Escrow(Authority).PayRoundAsync(job, Id("round-0"), [f.Address(WorkerA)], [Gens(100)], 18, 20));
        Assert.Equal((18u, 20u, (ushort)9_500), (refused.Accepted, refused.Judged, refused.MinimumBps));
        // Counts that cannot be true are refused too: more accepted than judged, or nothing judged at all.
        await Revert.With<JobEscrowAbi.InvalidRoundCountsError>(
            () => f.Escrow(Authority).PayRoundAsync(job, Id("round-0"), [f.Address(WorkerA)], [Gens(100)], 21, 20));
        await Revert.With<JobEscrowAbi.InvalidRoundCountsError>(
            () => f.Escrow(Authority).PayRoundAsync(job, Id("round-0"), [f.Address(WorkerA)], [Gens(100)], 0, 0));

        Assert.Equal(BigInteger.Zero, await f.Escrow(0).WithdrawableAsync(f.Address(WorkerA), f.Addresses.Token));
        Assert.Equal(Gens(1_000), (await f.Escrow(0).JobAsync(job)).Remaining);
        Assert.False(await f.Escrow(0).SettlementUsedAsync(Id("round-0")));
    }

    [Fact]
    public async Task The_settlement_key_cannot_post_a_match_rate_directly()
    {
        var job = await OpenJobAsync("posted-rate");

        // The old call, a rate of 100% in the caller's words: the escrow has no such function any more.
        Exception? thrown = null;
        try
        {
            await f.Accounts[Authority].Eth.GetContractTransactionHandler<RatePayRoundFunction>().SendRequestAndWaitForReceiptAsync(f.Addresses.Escrow,
                new RatePayRoundFunction { JobId = job, SettlementId = Id("round-0"), Workers = [f.Address(WorkerA)], Amounts = [Gens(100)], MatchRateBps = 10_000 });
        }
        catch (Exception e)
        {
            thrown = e;
        }
        Assert.NotNull(thrown);
        Assert.True(Revert.IsRevert(thrown), $"expected a revert, got {thrown.GetType().Name}: {thrown.Message}");
        Assert.DoesNotContain(ContractArtifacts.JobEscrow.AbiJson, "matchRateBps", StringComparison.Ordinal);

        Assert.Equal(BigInteger.Zero, await f.Escrow(0).WithdrawableAsync(f.Address(WorkerA), f.Addresses.Token));
        Assert.Equal(Gens(1_000), (await f.Escrow(0).JobAsync(job)).Remaining);
    }

    [Fact]
    public async Task The_settlement_key_cannot_pay_more_workers_than_results_it_says_were_accepted()
    {
        var job = await OpenJobAsync("padded");

        // One accepted result of one judged is 100%, but it cannot earn two workers a payout.
        var refused = await Revert.With<JobEscrowAbi.MorePayeesThanAcceptedError>(
            () => f.Escrow(Authority).PayRoundAsync(job, Id("round-0"), [f.Address(WorkerA), f.Address(WorkerB)], [Gens(10), Gens(10)], 1, 1));
        Assert.Equal((new BigInteger(2), 1u), (refused.Payees, refused.Accepted));
        Assert.Equal(BigInteger.Zero, await f.Escrow(0).WithdrawableAsync(f.Address(WorkerB), f.Addresses.Token));

        // 19 of 20 is exactly 95%: paid.
        var paid = await f.Escrow(Authority).PayRoundAsync(job, Id("round-0"), [f.Address(WorkerA), f.Address(WorkerB)], [Gens(10), Gens(10)], 19, 20);
        var round = Assert.Single(paid.DecodeAllEvents<JobEscrowAbi.RoundPaidEvent>()).Event;
        Assert.Equal((19u, 20u), (round.Accepted, round.Judged));
        Assert.Equal(Gens(10), await f.Escrow(0).WithdrawableAsync(f.Address(WorkerB), f.Addresses.Token));
    }

    [Fact]
    public async Task A_requester_reclaiming_at_the_deadline_does_not_strip_a_round_that_was_due()
    {
        var job = await OpenJobAsync("due-at-deadline", gens: 1_000, lifetime: 600);

        // The deadline passes with a verified round not yet on chain; the requester races the coordinator to the escrow.
        await f.Chain.IncreaseTimeAsync(601);
        var early = await Revert.With<JobEscrowAbi.ReclaimTooEarlyError>(() => f.Escrow(Requester).ReclaimAsync(job));
        Assert.Equal((await f.Escrow(0).JobAsync(job)).Deadline + SettlementDeployment.DefaultReclaimGraceSeconds, early.ReclaimableAfter);

        // The round's payout still goes through, within the grace after the deadline.
        await f.Escrow(Authority).PayRoundAsync(job, Id("round-0"), [f.Address(WorkerA), f.Address(WorkerB)], [Gens(300), Gens(200)], 2, 2);

        // After the grace the requester takes back the rest, and only the rest.
        await f.Chain.IncreaseTimeAsync((long)SettlementDeployment.DefaultReclaimGraceSeconds);
        var reclaimed = await f.Escrow(Requester).ReclaimAsync(job);
        Assert.Equal(Gens(500), Assert.Single(reclaimed.DecodeAllEvents<JobEscrowAbi.JobReclaimedEvent>()).Event.Amount);
        var before = await f.Token(0).BalanceOfAsync(f.Address(WorkerA));
        await f.Escrow(WorkerA).WithdrawAsync(f.Addresses.Token);
        Assert.Equal(before + Gens(300), await f.Token(0).BalanceOfAsync(f.Address(WorkerA)));
        Assert.Equal(Gens(200), await f.Escrow(0).WithdrawableAsync(f.Address(WorkerB), f.Addresses.Token));
    }

    [Fact]
    public async Task A_coordinator_refuses_a_deposit_whose_deadline_is_nearer_than_three_times_the_quoted_duration()
    {
        var settings = new ChainSettings(f.Chain.RpcUrl, DevChain.ChainId, f.Addresses.Token, f.Addresses.Staking, f.Addresses.Escrow, IsDevnet: true);
        var runtime = await ChainRuntime.ConnectAsync(settings, DevChain.DevPrivateKeys[Authority], "the test's contracts");
        var payer = f.Address(Requester);
        var rule = DeadlineRule.Default;

        // A job quoted at 20 h, with its escrow reclaimable in 30 h: before, an hour was enough.
        const string soon = "job-00000a01";
        await f.Escrow(Requester).DepositAsync(EscrowIds.JobKey(soon), f.Addresses.Token, Gens(10), await f.NowAsync() + 30 * 3_600);
        var (problem, deposited) = await runtime.CheckDepositAsync(soon, payer, 10_000_000L, rule, TimeSpan.FromHours(20));
        Assert.Equal(0, deposited);
        Assert.NotNull(problem);
        Assert.DoesNotContain('\n', problem);
        Assert.Contains("--deadline-hours 60", problem);

        // A short job still needs 24 h.
        var (shortProblem, _) = await runtime.CheckDepositAsync(soon, payer, 10_000_000L, rule, TimeSpan.FromMinutes(5));
        Assert.Null(shortProblem);
        const string hour = "job-00000a02";
        await f.Escrow(Requester).DepositAsync(EscrowIds.JobKey(hour), f.Addresses.Token, Gens(10), await f.NowAsync() + 3_600);
        var (hourProblem, _) = await runtime.CheckDepositAsync(hour, payer, 10_000_000L, rule, TimeSpan.FromMinutes(5));
        Assert.Contains("--deadline-hours 24", hourProblem);

        // 61 h away is enough for the 20 h job.
        const string enough = "job-00000a03";
        await f.Escrow(Requester).DepositAsync(EscrowIds.JobKey(enough), f.Addresses.Token, Gens(10), await f.NowAsync() + 61 * 3_600);
        var (none, micros) = await runtime.CheckDepositAsync(enough, payer, 10_000_000L, rule, TimeSpan.FromHours(20));
        Assert.Null(none);
        Assert.Equal(10_000_000L, micros);
    }

    [Fact]
    public async Task The_deployer_key_alone_can_neither_pause_nor_hand_itself_the_settlement_role()
    {
        var deployer = DevChain.AdminAccount;
        var settlementRole = await f.Escrow(0).QueryAsync<SharedAbi.SettlementRoleFunction, byte[]>(new());

        // Before, the deployer was the admin: it could grant itself SETTLEMENT_ROLE and pay any open escrow to itself at once.
        var grant = new ChainContract(f.Accounts[deployer], f.Addresses.Escrow);
        await Revert.With<SharedAbi.AccessControlUnauthorizedAccountError>(
            () => grant.SendAsync(new ProviderStakingAbi.GrantRoleFunction { Role = settlementRole, Account = f.Address(deployer) }));
        await Revert.With<SharedAbi.AccessControlUnauthorizedAccountError>(() => f.Escrow(deployer).PauseAsync());
        Assert.False(await f.Escrow(0).QueryAsync<SharedAbi.HasRoleFunction, bool>(new() { Role = settlementRole, Account = f.Address(deployer) }));

        // Through the timelock the same grant is public for the delay first, and cannot run before it.
        var salt = SHA256.HashData(Encoding.UTF8.GetBytes("grant"));
        var call = new ProviderStakingAbi.GrantRoleFunction { Role = settlementRole, Account = f.Address(deployer) };
        var scheduled = await f.Timelock(deployer).ScheduleAsync(f.Addresses.Escrow, call, salt, SettlementDeployment.DefaultAdminDelaySeconds);
        Assert.Single(scheduled.DecodeAllEvents<AdminTimelockAbi.CallScheduledEvent>());
        await Revert.With<AdminTimelockAbi.TimelockUnexpectedOperationStateError>(() => f.Timelock(deployer).ExecuteAsync(f.Addresses.Escrow, call, salt));
        Assert.False(await f.Escrow(0).QueryAsync<SharedAbi.HasRoleFunction, bool>(new() { Role = settlementRole, Account = f.Address(deployer) }));
    }

    [Fact]
    public async Task A_job_pays_refunds_and_credits_in_its_own_token_and_a_token_not_allowed_is_refused()
    {
        // A token the escrow does not allow: a 6-decimal ERC-20 anyone could deploy.
        var stranger = await ChainContract.DeployAsync(f.Accounts[Requester], new MockUsdcAbi.Deployment { InitialOwner = f.Address(Requester) });
        await new GensynTokenService(f.Accounts[Requester], stranger).MintAsync(f.Address(Requester), Gens(1_000));
        await new GensynTokenService(f.Accounts[Requester], stranger).ApproveAsync(f.Addresses.Escrow, Gens(1_000));
        var refused = await Revert.With<JobEscrowAbi.TokenNotAllowedError>(
            () => f.Escrow(Requester).DepositAsync(Id("fake-token"), stranger, Gens(100), 4_000_000_000));
        Assert.Equal(stranger, refused.Token, ignoreCase: true);

        // A USDC job: deposit, payout, refund and withdrawal all in USDC; no GENS moves.
        var job = Id("usdc-job");
        var gensBefore = await f.Token(0).BalanceOfAsync(f.Addresses.Escrow);
        await f.Escrow(Requester).DepositAsync(job, f.Addresses.Usdc, Gens(100), await f.NowAsync() + 86_400);
        Assert.Equal(f.Addresses.Usdc, (await f.Escrow(0).JobAsync(job)).Token, ignoreCase: true);
        await f.Escrow(Authority).PayRoundAsync(job, Id("usdc-round-0"), [f.Address(WorkerA)], [Gens(30)], 1, 1);
        await f.Escrow(Authority).CompleteAsync(job, Id("usdc-complete"));
        Assert.Equal(Gens(30), await f.Escrow(0).WithdrawableAsync(f.Address(WorkerA), f.Addresses.Usdc));
        Assert.Equal(BigInteger.Zero, await f.Escrow(0).WithdrawableAsync(f.Address(WorkerA), f.Addresses.Token));
        Assert.Equal(Gens(70), await f.Escrow(0).WithdrawableAsync(f.Address(Requester), f.Addresses.Usdc));
        var usdcBefore = await f.Usdc(0).BalanceOfAsync(f.Address(WorkerA));
        await f.Escrow(WorkerA).WithdrawAsync(f.Addresses.Usdc);
        Assert.Equal(usdcBefore + Gens(30), await f.Usdc(0).BalanceOfAsync(f.Address(WorkerA)));
        await Revert.With<SharedAbi.NothingToWithdrawError>(() => f.Escrow(WorkerA).WithdrawAsync(f.Addresses.Token));
        Assert.Equal(gensBefore, await f.Token(0).BalanceOfAsync(f.Addresses.Escrow));
        Assert.Equal(Gens(70), await f.Usdc(0).BalanceOfAsync(f.Addresses.Escrow));
    }

    [Fact]
    public async Task A_coordinator_refuses_a_deposit_in_another_token_than_the_spec_names_or_a_token_not_allowed()
    {
        var settings = new ChainSettings(f.Chain.RpcUrl, DevChain.ChainId, f.Addresses.Token, f.Addresses.Staking, f.Addresses.Escrow, IsDevnet: true);
        var runtime = await ChainRuntime.ConnectAsync(settings, DevChain.DevPrivateKeys[Authority], "the test's contracts");
        var payer = f.Address(Requester);
        const string jobId = "job-00000b01";
        await f.Escrow(Requester).DepositAsync(EscrowIds.JobKey(jobId), f.Addresses.Token, Gens(10), await f.NowAsync() + 30 * 86_400);

        // The spec says USDC, the deposit is GENS: refused in one line.
        var (wrongToken, _) = await runtime.CheckDepositAsync(jobId, payer, 10_000_000L, DeadlineRule.Default, TimeSpan.FromMinutes(5), "USDC");
        Assert.NotNull(wrongToken);
        Assert.Contains("budget.token is USDC", wrongToken);
        Assert.DoesNotContain('\n', wrongToken);
        // A token the escrow does not know.
        var (unknown, _) = await runtime.CheckDepositAsync(jobId, payer, 10_000_000L, DeadlineRule.Default, TimeSpan.FromMinutes(5), "DAI");
        Assert.Contains("budget.token DAI is not allowed by the escrow", unknown);
        Assert.Contains("allowed: GENS, USDC", unknown);
        // The spec's own token: accepted.
        var (none, micros) = await runtime.CheckDepositAsync(jobId, payer, 10_000_000L, DeadlineRule.Default, TimeSpan.FromMinutes(5), "GENS");
        Assert.Null(none);
        Assert.Equal(10_000_000L, micros);
    }
}
