using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Gensyn.Contracts.Chain;
using Nethereum.Contracts;
using static Gensyn.Tests.Chain.ChainFixture;

namespace Gensyn.Tests.Chain;

/// <summary>JobEscrow against a real anvil: every function's success path and every revert.</summary>
public sealed class JobEscrowContractTests(ChainFixture f) : IClassFixture<ChainFixture>, IAsyncLifetime
{
    private const int Authority = DevChain.SettlementAuthorityAccount;
    private const int Requester = 2;
    private const int WorkerA = 3;
    private const int WorkerB = 4;
    private const int Stranger = 7;

    public Task InitializeAsync() => f.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private static byte[] Id(string name) => SHA256.HashData(Encoding.UTF8.GetBytes(name));

    private async Task<byte[]> OpenJobAsync(string name, long gens = 1_000, ulong lifetime = 86_400)
    {
        var job = Id(name);
        await f.Escrow(Requester).DepositAsync(job, f.Addresses.Token, Gens(gens), await f.NowAsync() + lifetime);
        return job;
    }

    [Fact]
    public async Task Deposit_pulls_the_budget_and_opens_the_job()
    {
        var before = await f.Token(0).BalanceOfAsync(f.Address(Requester));
        var deadline = await f.NowAsync() + 3_600;
        var receipt = await f.Escrow(Requester).DepositAsync(Id("job"), f.Addresses.Token, Gens(500), deadline);

        var deposited = Assert.Single(receipt.DecodeAllEvents<JobEscrowAbi.DepositedEvent>()).Event;
        Assert.Equal(Gens(500), deposited.Amount);
        Assert.Equal(deadline, deposited.Deadline);
        Assert.Equal(f.Address(Requester), deposited.Requester, ignoreCase: true);
        var job = await f.Escrow(0).JobAsync(Id("job"));
        Assert.Equal(JobEscrowAbi.JobStatus.Open, job.Status);
        Assert.Equal(Gens(500), job.Remaining);
        Assert.Equal(before - Gens(500), await f.Token(0).BalanceOfAsync(f.Address(Requester)));
        Assert.Equal(Gens(500), await f.Token(0).BalanceOfAsync(f.Addresses.Escrow));
    }

    [Fact]
    public async Task Deposit_rejects_a_zero_amount_a_past_deadline_a_reused_job_id_and_a_missing_allowance()
    {
        var now = await f.NowAsync();
        await Revert.With<SharedAbi.ZeroAmountError>(() => f.Escrow(Requester).DepositAsync(Id("j"), f.Addresses.Token, 0, now + 100));
        var past = await Revert.With<JobEscrowAbi.DeadlineInPastError>(() => f.Escrow(Requester).DepositAsync(Id("j"), f.Addresses.Token, 1, now - 1));
        Assert.Equal(now - 1, past.Deadline);
        await f.Escrow(Requester).DepositAsync(Id("j"), f.Addresses.Token, 1, now + 100);
        await Revert.With<JobEscrowAbi.JobAlreadyExistsError>(() => f.Escrow(Stranger).DepositAsync(Id("j"), f.Addresses.Token, 1, now + 100));
        await f.Token(Stranger).ApproveAsync(f.Addresses.Escrow, 0);
        await Revert.With<GensynTokenAbi.Erc20InsufficientAllowanceError>(() => f.Escrow(Stranger).DepositAsync(Id("k"), f.Addresses.Token, 1, now + 100));
    }

    [Fact]
    public async Task PayRound_credits_workers_who_then_withdraw()
    {
        var job = await OpenJobAsync("job");
        var receipt = await f.Escrow(Authority).PayRoundAsync(job, Id("round-1"), [f.Address(WorkerA), f.Address(WorkerB)], [Gens(30), Gens(20)], 19, 20);

        Assert.Equal(2, receipt.DecodeAllEvents<JobEscrowAbi.WorkerCreditedEvent>().Count);
        var paid = Assert.Single(receipt.DecodeAllEvents<JobEscrowAbi.RoundPaidEvent>()).Event;
        Assert.Equal(Gens(50), paid.Total);
        Assert.Equal((19u, 20u), (paid.Accepted, paid.Judged));
        Assert.True(await f.Escrow(0).SettlementUsedAsync(Id("round-1")));
        Assert.Equal(Gens(950), (await f.Escrow(0).JobAsync(job)).Remaining);
        Assert.Equal(Gens(30), await f.Escrow(0).WithdrawableAsync(f.Address(WorkerA), f.Addresses.Token));

        var before = await f.Token(0).BalanceOfAsync(f.Address(WorkerA));
        var withdrawn = await f.Escrow(WorkerA).WithdrawAsync(f.Addresses.Token);
        Assert.Equal(Gens(30), Assert.Single(withdrawn.DecodeAllEvents<JobEscrowAbi.WithdrawnEvent>()).Event.Amount);
        Assert.Equal(before + Gens(30), await f.Token(0).BalanceOfAsync(f.Address(WorkerA)));
        Assert.Equal(BigInteger.Zero, await f.Escrow(0).WithdrawableAsync(f.Address(WorkerA), f.Addresses.Token));
        await Revert.With<SharedAbi.NothingToWithdrawError>(() => f.Escrow(WorkerA).WithdrawAsync(f.Addresses.Token));
    }

    [Fact]
    public async Task PayRound_below_the_match_rate_threshold_is_refused()
    {
        var job = await OpenJobAsync("job");
        // 1,899 of 2,000 is 94.95%: one accepted result short of 95%.
        var error = await Revert.With<JobEscrowAbi.MatchRateTooLowError>(
            () => f.Escrow(Authority).PayRoundAsync(job, Id("r"), [f.Address(WorkerA)], [1], 1_899, 2_000));
        Assert.Equal((1_899u, 2_000u), (error.Accepted, error.Judged));
        Assert.Equal(9_500, error.MinimumBps);
        await Revert.With<JobEscrowAbi.InvalidRoundCountsError>(
            () => f.Escrow(Authority).PayRoundAsync(job, Id("r"), [f.Address(WorkerA)], [1], 3, 2));
        await Revert.With<JobEscrowAbi.InvalidRoundCountsError>(
            () => f.Escrow(Authority).PayRoundAsync(job, Id("r"), [f.Address(WorkerA)], [1], 0, 0));
        var payees = await Revert.With<JobEscrowAbi.MorePayeesThanAcceptedError>(
            () => f.Escrow(Authority).PayRoundAsync(job, Id("r"), [f.Address(WorkerA), f.Address(WorkerB)], [1, 1], 1, 1));
        Assert.Equal((new BigInteger(2), 1u), (payees.Payees, payees.Accepted));
        Assert.False(await f.Escrow(0).SettlementUsedAsync(Id("r")));
    }

    [Fact]
    public async Task A_settlement_id_settles_once_whatever_it_settles()
    {
        var job = await OpenJobAsync("job");
        await f.Escrow(Authority).PayRoundAsync(job, Id("s"), [f.Address(WorkerA)], [Gens(1)], 1, 1);
        var reused = await Revert.With<JobEscrowAbi.SettlementIdUsedError>(
            () => f.Escrow(Authority).PayRoundAsync(job, Id("s"), [f.Address(WorkerA)], [Gens(1)], 1, 1));
        Assert.Equal(Id("s"), reused.SettlementId);
        await Revert.With<JobEscrowAbi.SettlementIdUsedError>(() => f.Escrow(Authority).CompleteAsync(job, Id("s")));
        await Revert.With<JobEscrowAbi.SettlementIdUsedError>(() => f.Escrow(Authority).CancelAsync(job, Id("s")));
        Assert.Equal(Gens(1), await f.Escrow(0).WithdrawableAsync(f.Address(WorkerA), f.Addresses.Token));
    }

    [Fact]
    public async Task PayRound_never_pays_more_than_the_escrow_holds()
    {
        var job = await OpenJobAsync("job", gens: 10);
        var error = await Revert.With<JobEscrowAbi.InsufficientEscrowError>(
            () => f.Escrow(Authority).PayRoundAsync(job, Id("r"), [f.Address(WorkerA), f.Address(WorkerB)], [Gens(6), Gens(5)], 99, 100));
        Assert.Equal(Gens(11), error.Requested);
        Assert.Equal(Gens(10), error.Remaining);
        await f.Escrow(Authority).PayRoundAsync(job, Id("r"), [f.Address(WorkerA), f.Address(WorkerB)], [Gens(6), Gens(4)], 99, 100);
        Assert.Equal(BigInteger.Zero, (await f.Escrow(0).JobAsync(job)).Remaining);
    }

    [Fact]
    public async Task PayRound_rejects_malformed_payouts_and_unknown_jobs()
    {
        var job = await OpenJobAsync("job");
        await Revert.With<JobEscrowAbi.LengthMismatchError>(() => f.Escrow(Authority).PayRoundAsync(job, Id("a"), [f.Address(WorkerA)], [1, 2], 99, 100));
        await Revert.With<JobEscrowAbi.EmptyPayoutError>(() => f.Escrow(Authority).PayRoundAsync(job, Id("b"), [], [], 99, 100));
        await Revert.With<SharedAbi.ZeroAddressError>(() => f.Escrow(Authority).PayRoundAsync(job, Id("c"), ["0x0000000000000000000000000000000000000000"], [1], 99, 100));
        await Revert.With<JobEscrowAbi.JobNotOpenError>(() => f.Escrow(Authority).PayRoundAsync(Id("nope"), Id("d"), [f.Address(WorkerA)], [1], 99, 100));
    }

    [Fact]
    public async Task Only_the_settlement_authority_pays_completes_and_cancels_and_only_the_timelock_pauses()
    {
        var job = await OpenJobAsync("job");
        var unauthorized = await Revert.With<SharedAbi.AccessControlUnauthorizedAccountError>(
            () => f.Escrow(Requester).PayRoundAsync(job, Id("r"), [f.Address(Requester)], [1], 1, 1));
        Assert.Equal(f.Address(Requester), unauthorized.Account, ignoreCase: true);
        Assert.Equal(await f.Escrow(0).QueryAsync<SharedAbi.SettlementRoleFunction, byte[]>(new()), unauthorized.NeededRole);
        await Revert.With<SharedAbi.AccessControlUnauthorizedAccountError>(() => f.Escrow(WorkerA).CompleteAsync(job, Id("c")));
        await Revert.With<SharedAbi.AccessControlUnauthorizedAccountError>(() => f.Escrow(Stranger).CancelAsync(job, Id("c")));
        await Revert.With<SharedAbi.AccessControlUnauthorizedAccountError>(() => f.Escrow(Authority).PauseAsync());
        await Revert.With<SharedAbi.AccessControlUnauthorizedAccountError>(() => f.Escrow(Stranger).UnpauseAsync());
        await Revert.With<SharedAbi.AccessControlUnauthorizedAccountError>(() => f.Escrow(DevChain.AdminAccount).PauseAsync());
        await f.AdminAsync(f.Addresses.Escrow, new SharedAbi.PauseFunction());
        Assert.True(await f.Escrow(0).PausedAsync());
    }

    [Fact]
    public async Task Complete_credits_the_remainder_to_the_requester_and_closes_the_job()
    {
        var job = await OpenJobAsync("job");
        await f.Escrow(Authority).PayRoundAsync(job, Id("r1"), [f.Address(WorkerA)], [Gens(100)], 49, 50);
        var receipt = await f.Escrow(Authority).CompleteAsync(job, Id("done"));

        Assert.Equal(Gens(900), Assert.Single(receipt.DecodeAllEvents<JobEscrowAbi.JobCompletedEvent>()).Event.Refund);
        var closed = await f.Escrow(0).JobAsync(job);
        Assert.Equal(JobEscrowAbi.JobStatus.Completed, closed.Status);
        Assert.Equal(closed.Deposited, closed.PaidOut + closed.Refunded);
        Assert.Equal(Gens(900), await f.Escrow(0).WithdrawableAsync(f.Address(Requester), f.Addresses.Token));
        await Revert.With<JobEscrowAbi.JobNotOpenError>(() => f.Escrow(Authority).PayRoundAsync(job, Id("r2"), [f.Address(WorkerA)], [1], 49, 50));
        await Revert.With<JobEscrowAbi.JobNotOpenError>(() => f.Escrow(Authority).CompleteAsync(job, Id("again")));
        await Revert.With<JobEscrowAbi.JobNotOpenError>(() => f.Escrow(Requester).ReclaimAsync(job));
    }

    [Fact]
    public async Task Cancel_refunds_everything_unpaid()
    {
        var job = await OpenJobAsync("job");
        var receipt = await f.Escrow(Authority).CancelAsync(job, Id("cancel"));
        Assert.Equal(Gens(1_000), Assert.Single(receipt.DecodeAllEvents<JobEscrowAbi.JobCancelledEvent>()).Event.Refund);
        Assert.Equal(JobEscrowAbi.JobStatus.Cancelled, (await f.Escrow(0).JobAsync(job)).Status);
        await Revert.With<JobEscrowAbi.JobNotOpenError>(() => f.Escrow(Authority).CancelAsync(job, Id("cancel-2")));
    }

    [Fact]
    public async Task Reclaim_reverts_until_the_grace_after_the_deadline_and_returns_the_remainder_after_it()
    {
        var job = await OpenJobAsync("job", lifetime: 600);
        await f.Escrow(Authority).PayRoundAsync(job, Id("r1"), [f.Address(WorkerA)], [Gens(250)], 24, 25);
        var early = await Revert.With<JobEscrowAbi.ReclaimTooEarlyError>(() => f.Escrow(Requester).ReclaimAsync(job));
        Assert.Equal((await f.Escrow(0).JobAsync(job)).Deadline + SettlementDeployment.DefaultReclaimGraceSeconds, early.ReclaimableAfter);
        await f.Chain.IncreaseTimeAsync(601);
        await Revert.With<JobEscrowAbi.ReclaimTooEarlyError>(() => f.Escrow(Requester).ReclaimAsync(job));

        await f.Chain.IncreaseTimeAsync((long)SettlementDeployment.DefaultReclaimGraceSeconds);
        await Revert.With<JobEscrowAbi.NotRequesterError>(() => f.Escrow(Stranger).ReclaimAsync(job));
        var before = await f.Token(0).BalanceOfAsync(f.Address(Requester));
        var receipt = await f.Escrow(Requester).ReclaimAsync(job);
        Assert.Equal(Gens(750), Assert.Single(receipt.DecodeAllEvents<JobEscrowAbi.JobReclaimedEvent>()).Event.Amount);
        Assert.Equal(before + Gens(750), await f.Token(0).BalanceOfAsync(f.Address(Requester)));
        Assert.Equal(JobEscrowAbi.JobStatus.Reclaimed, (await f.Escrow(0).JobAsync(job)).Status);
        await Revert.With<JobEscrowAbi.JobNotOpenError>(() => f.Escrow(Requester).ReclaimAsync(job));
    }

    [Fact]
    public async Task Pause_blocks_settlement_but_never_withdraw_or_reclaim()
    {
        var job = await OpenJobAsync("job", lifetime: 600);
        await f.Escrow(Authority).PayRoundAsync(job, Id("r1"), [f.Address(WorkerA)], [Gens(10)], 24, 25);
        var paused = await f.AdminAsync(f.Addresses.Escrow, new SharedAbi.PauseFunction());
        Assert.Single(paused.DecodeAllEvents<SharedAbi.PausedEvent>());
        Assert.True(await f.Escrow(0).PausedAsync());

        await Revert.With<SharedAbi.EnforcedPauseError>(() => f.Escrow(Requester).DepositAsync(Id("other"), f.Addresses.Token, 1, 4_000_000_000));
        await Revert.With<SharedAbi.EnforcedPauseError>(() => f.Escrow(Authority).PayRoundAsync(job, Id("r2"), [f.Address(WorkerA)], [1], 24, 25));
        await Revert.With<SharedAbi.EnforcedPauseError>(() => f.Escrow(Authority).CompleteAsync(job, Id("c")));
        await Revert.With<SharedAbi.EnforcedPauseError>(() => f.Escrow(Authority).CancelAsync(job, Id("c")));
        await f.Escrow(WorkerA).WithdrawAsync(f.Addresses.Token);
        await f.Chain.IncreaseTimeAsync(601 + (long)SettlementDeployment.DefaultReclaimGraceSeconds);
        await f.Escrow(Requester).ReclaimAsync(job);

        await Revert.With<SharedAbi.EnforcedPauseError>(() => f.AdminAsync(f.Addresses.Escrow, new SharedAbi.PauseFunction()));
        Assert.Single((await f.AdminAsync(f.Addresses.Escrow, new SharedAbi.UnpauseFunction())).DecodeAllEvents<SharedAbi.UnpausedEvent>());
        await Revert.With<SharedAbi.ExpectedPauseError>(() => f.AdminAsync(f.Addresses.Escrow, new SharedAbi.UnpauseFunction()));
        Assert.Equal(BigInteger.Zero, await f.Token(0).BalanceOfAsync(f.Addresses.Escrow));
    }
}
