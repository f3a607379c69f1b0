using System.Diagnostics;
using System.Numerics;
using System.Text;
using Gensyn.Contracts.Chain;
using Xunit.Abstractions;
using static Gensyn.Tests.Chain.ChainFixture;

namespace Gensyn.Tests.Chain;

/// <summary>
/// Seeded random call sequences against the real contracts. A model predicts whether each call succeeds;
/// after every call the chain must agree with the model and the money invariants must hold.
/// </summary>
public sealed class SettlementInvariantTests(ChainFixture f, ITestOutputHelper output) : IClassFixture<ChainFixture>
{
    private static readonly int Sequences = int.TryParse(Environment.GetEnvironmentVariable("GENSYN_CHAIN_SEQUENCES"), out var n) ? n : 200;
    private const int CallsPerSequence = 6;
    private const int Seed = 20_261_126;
    private const int Admin = DevChain.AdminAccount;
    private const int Authority = DevChain.SettlementAuthorityAccount;
    private static readonly int[] Requesters = [2, 6];
    private static readonly int[] Workers = [3, 4, 5];
    private static readonly int[] Everyone = [2, 3, 4, 5, 6];

    private sealed class JobModel
    {
        public required byte[] Id;
        public required int Requester;
        public required BigInteger Deposited;
        public required ulong Deadline;
        /// <summary>The job's token: 0 GENS, 1 the mock USDC.</summary>
        public required int Token;
        public BigInteger Remaining, PaidOut, Refunded;
        public JobEscrowAbi.JobStatus Status = JobEscrowAbi.JobStatus.Open;
    }

    private string TokenAddress(int token) => token == 0 ? f.Addresses.Token : f.Addresses.Usdc;
    private static string TokenName(int token) => token == 0 ? "GENS" : "USDC";

    /// <summary>When the requester may reclaim: the escrow's reclaim grace after the job's deadline.</summary>
    private static ulong ReclaimableAfter(JobModel job) => job.Deadline + SettlementDeployment.DefaultReclaimGraceSeconds;

    private sealed class Model
    {
        public readonly List<JobModel> Jobs = [];
        public readonly HashSet<string> UsedSettlements = [];
        /// <summary>Credits per (account, token).</summary>
        public readonly Dictionary<(int Account, int Token), BigInteger> Withdrawable = [];
        public readonly Dictionary<int, BigInteger> Bonded = [], Unbonding = [];
        public readonly Dictionary<int, ulong> Release = [];
        public bool EscrowPaused, StakingPaused;
        public BigInteger Get(Dictionary<int, BigInteger> d, int k) => d.GetValueOrDefault(k);
        public BigInteger Credit(int account, int token) => Withdrawable.GetValueOrDefault((account, token));
        public void AddCredit(int account, int token, BigInteger amount) => Withdrawable[(account, token)] = Credit(account, token) + amount;
    }

    [Fact]
    public async Task The_deployer_is_no_admin_and_a_scheduled_admin_call_runs_only_after_the_timelock_delay()
    {
        await f.ResetAsync();
        var role = new byte[32]; // DEFAULT_ADMIN_ROLE
        foreach (var contract in new[] { f.Addresses.Escrow, f.Addresses.Staking })
        {
            var escrow = new ChainContract(f.Accounts[0], contract);
            Assert.False(await escrow.QueryAsync<SharedAbi.HasRoleFunction, bool>(new() { Role = role, Account = f.Address(Admin) }));
            Assert.True(await escrow.QueryAsync<SharedAbi.HasRoleFunction, bool>(new() { Role = role, Account = f.Addresses.Timelock }));
        }
        await Revert.With<SharedAbi.AccessControlUnauthorizedAccountError>(() => f.Escrow(Admin).PauseAsync());

        var timelock = f.Timelock(Admin);
        Assert.Equal(new BigInteger(SettlementDeployment.DefaultAdminDelaySeconds), await timelock.MinDelayAsync());
        var salt = Encoding.UTF8.GetBytes("pause-the-escrow".PadRight(32, '.'));
        await Revert.With<AdminTimelockAbi.TimelockInsufficientDelayError>(
            () => timelock.ScheduleAsync(f.Addresses.Escrow, new SharedAbi.PauseFunction(), salt, SettlementDeployment.DefaultAdminDelaySeconds - 1));
        // Only the proposer schedules.
        await Revert.With<AdminTimelockAbi.AccessControlUnauthorizedAccountError>(
            () => f.Timelock(Authority).ScheduleAsync(f.Addresses.Escrow, new SharedAbi.PauseFunction(), salt, SettlementDeployment.DefaultAdminDelaySeconds));
        await timelock.ScheduleAsync(f.Addresses.Escrow, new SharedAbi.PauseFunction(), salt, SettlementDeployment.DefaultAdminDelaySeconds);

        await Revert.With<AdminTimelockAbi.TimelockUnexpectedOperationStateError>(() => timelock.ExecuteAsync(f.Addresses.Escrow, new SharedAbi.PauseFunction(), salt));
        await f.Chain.IncreaseTimeAsync((long)SettlementDeployment.DefaultAdminDelaySeconds - 60);
        await Revert.With<AdminTimelockAbi.TimelockUnexpectedOperationStateError>(() => timelock.ExecuteAsync(f.Addresses.Escrow, new SharedAbi.PauseFunction(), salt));
        Assert.False(await f.Escrow(0).PausedAsync());

        await f.Chain.IncreaseTimeAsync(60);
        await timelock.ExecuteAsync(f.Addresses.Escrow, new SharedAbi.PauseFunction(), salt);
        Assert.True(await f.Escrow(0).PausedAsync());
        // Once: the same operation does not run twice.
        await Revert.With<AdminTimelockAbi.TimelockUnexpectedOperationStateError>(() => timelock.ExecuteAsync(f.Addresses.Escrow, new SharedAbi.PauseFunction(), salt));
    }

    [Fact]
    public async Task Random_call_sequences_keep_every_settlement_invariant()
    {
        var clock = Stopwatch.StartNew();
        var calls = 0;
        for (var sequence = 0; sequence < Sequences; sequence++)
        {
            await f.ResetAsync();
            var rng = new Random(Seed + sequence);
            var model = new Model();
            var trace = new StringBuilder();
            for (var step = 0; step < CallsPerSequence; step++)
            {
                var context = $"seed {Seed + sequence}, step {step}";
                var (name, expected, action, apply) = await NextCallAsync(rng, model, sequence);
                trace.AppendLine($"  {name} (expect {(expected is null ? "either" : expected.Value ? "success" : "revert")})");
                bool succeeded;
                try
                {
                    await action();
                    succeeded = true;
                }
                catch (Exception e) when (Revert.IsRevert(e))
                {
                    succeeded = false;
                }
                calls++;
                if (Environment.GetEnvironmentVariable("GENSYN_CHAIN_TRACE") is { } tracePath)
                    File.AppendAllText(tracePath, $"{clock.ElapsedMilliseconds} {context} {name} {succeeded}\n");
                if (expected is not null)
                    Assert.True(succeeded == expected, $"{context}: {name} {(succeeded ? "succeeded" : "reverted")} against the model\n{trace}");
                if (succeeded) apply();
                await CheckInvariantsAsync(model, $"{context}\n{trace}");
            }
        }
        output.WriteLine($"{Sequences} sequences, {calls} calls, {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private async Task<(string Name, bool? Expected, Func<Task> Action, Action Apply)> NextCallAsync(Random rng, Model m, int sequence)
    {
        var now = await f.NowAsync();
        byte[] SettlementId() => Encoding.UTF8.GetBytes($"settlement-{rng.Next(5)}".PadRight(32, '.'));
        JobModel? AnyJob() => m.Jobs.Count == 0 ? null : m.Jobs[rng.Next(m.Jobs.Count)];
        var open = (JobModel? j) => j is not null && j.Status == JobEscrowAbi.JobStatus.Open;
        // Calls within this many seconds of a deadline are left unpredicted: the block's timestamp moves with wall time.
        const ulong Slack = 5;

        switch (rng.Next(12))
        {
            case 0:
            case 1:
            {
                var requester = Requesters[rng.Next(Requesters.Length)];
                var id = Encoding.UTF8.GetBytes($"job-{sequence}-{m.Jobs.Count + rng.Next(2)}".PadRight(32, '.'));
                var amount = Gens(rng.Next(0, 500));
                var deadline = now + (ulong)rng.Next(100, 3_000);
                var exists = m.Jobs.Any(j => j.Id.SequenceEqual(id));
                var token = rng.Next(2);
                return ($"deposit {amount} {TokenName(token)} by {requester}", !m.EscrowPaused && amount > 0 && !exists,
                    () => f.Escrow(requester).DepositAsync(id, TokenAddress(token), amount, deadline),
                    () => m.Jobs.Add(new JobModel { Id = id, Requester = requester, Deposited = amount, Remaining = amount, Deadline = deadline, Token = token }));
            }
            case 2:
            case 3:
            {
                var job = AnyJob();
                var id = job?.Id ?? new byte[32];
                var settlement = SettlementId();
                var workers = Enumerable.Range(0, rng.Next(1, 3)).Select(_ => Workers[rng.Next(Workers.Length)]).ToList();
                var amounts = workers.Select(_ => Gens(rng.Next(0, 200))).ToList();
                var judged = (uint)rng.Next(1, 41);
                var accepted = (uint)Math.Min(judged, rng.Next(Math.Max(0, (int)judged - 3), (int)judged + 1));
                var caller = rng.Next(8) == 0 ? Requesters[0] : Authority;
                var total = amounts.Aggregate(BigInteger.Zero, (a, b) => a + b);
                var ok = caller == Authority && !m.EscrowPaused && open(job) && accepted * 10_000 >= judged * 9_500 && accepted >= workers.Count
                    && !m.UsedSettlements.Contains(Convert.ToHexString(settlement)) && total <= job!.Remaining;
                return ($"payRound {total} for {accepted} of {judged} accepted by {caller}", ok,
                    () => f.Escrow(caller).PayRoundAsync(id, settlement, workers.Select(f.Address).ToList(), amounts, accepted, judged),
                    () =>
                    {
                        m.UsedSettlements.Add(Convert.ToHexString(settlement));
                        job!.Remaining -= total;
                        job.PaidOut += total;
                        for (var i = 0; i < workers.Count; i++) m.AddCredit(workers[i], job.Token, amounts[i]);
                    });
            }
            case 4:
            {
                var who = Everyone[rng.Next(Everyone.Length)];
                var token = rng.Next(2);
                return ($"withdraw {TokenName(token)} by {who}", m.Credit(who, token) > 0,
                    () => f.Escrow(who).WithdrawAsync(TokenAddress(token)), () => m.Withdrawable[(who, token)] = 0);
            }
            case 5:
            {
                var job = AnyJob();
                var settlement = SettlementId();
                var cancel = rng.Next(2) == 0;
                var ok = !m.EscrowPaused && open(job) && !m.UsedSettlements.Contains(Convert.ToHexString(settlement));
                return ($"{(cancel ? "cancel" : "complete")}", ok,
                    () => cancel ? f.Escrow(Authority).CancelAsync(job?.Id ?? new byte[32], settlement) : f.Escrow(Authority).CompleteAsync(job?.Id ?? new byte[32], settlement),
                    () =>
                    {
                        m.UsedSettlements.Add(Convert.ToHexString(settlement));
                        job!.Refunded = job.Remaining;
                        m.AddCredit(job.Requester, job.Token, job.Remaining);
                        job.Remaining = 0;
                        job.Status = cancel ? JobEscrowAbi.JobStatus.Cancelled : JobEscrowAbi.JobStatus.Completed;
                    });
            }
            case 6:
            {
                var job = AnyJob();
                var caller = job is null || rng.Next(6) == 0 ? Requesters[rng.Next(2)] : job.Requester;
                bool? ok = job is null || !open(job) || caller != job.Requester ? false
                    : ReclaimableAfter(job) + 1 > now && ReclaimableAfter(job) <= now + Slack ? null : now + 1 > ReclaimableAfter(job);
                return ($"reclaim by {caller}", ok,
                    () => f.Escrow(caller).ReclaimAsync(job?.Id ?? new byte[32]),
                    () =>
                    {
                        job!.Refunded = job.Remaining;
                        job.Remaining = 0;
                        job.Status = JobEscrowAbi.JobStatus.Reclaimed;
                    });
            }
            case 7:
            {
                var p = Workers[rng.Next(Workers.Length)];
                var amount = Gens(rng.Next(0, 200));
                return ($"stake {amount} by {p}", !m.StakingPaused && amount > 0,
                    () => f.Staking(p).StakeAsync(amount), () => m.Bonded[p] = m.Get(m.Bonded, p) + amount);
            }
            case 8:
            {
                var p = Workers[rng.Next(Workers.Length)];
                var amount = Gens(rng.Next(0, 150));
                var ok = !m.StakingPaused && amount > 0 && amount <= m.Get(m.Bonded, p);
                return ($"requestUnbond {amount} by {p}", ok,
                    () => f.Staking(p).RequestUnbondAsync(amount),
                    () =>
                    {
                        m.Bonded[p] -= amount;
                        m.Unbonding[p] = m.Get(m.Unbonding, p) + amount;
                        m.Release[p] = 0; // read back from the chain in the invariant check
                    });
            }
            case 9:
            {
                var p = Workers[rng.Next(Workers.Length)];
                var release = m.Release.GetValueOrDefault(p);
                bool? ok = m.Get(m.Unbonding, p) == 0 ? false
                    : release > now && release <= now + Slack ? null : now + 1 >= release;
                return ($"withdrawUnbonded by {p}", ok,
                    () => f.Staking(p).WithdrawUnbondedAsync(), () => m.Unbonding[p] = 0);
            }
            case 10:
            {
                var p = Workers[rng.Next(Workers.Length)];
                var stake = m.Get(m.Bonded, p) + m.Get(m.Unbonding, p);
                var amount = rng.Next(3) == 0 ? stake + Gens(rng.Next(1, 10)) : (stake == 0 ? Gens(1) : stake * rng.Next(1, 101) / 100);
                var bps = (ushort)rng.Next(0, 10_001);
                // Each fraud has its own evidence; one piece of evidence slashes once.
                var evidence = new byte[32];
                rng.NextBytes(evidence);
                var ok = !m.StakingPaused && amount > 0 && amount <= stake;
                return ($"slash {amount} of {stake} from {p}", ok,
                    () => f.Staking(Authority).SlashAsync(f.Address(p), amount, evidence, f.Address(Requesters[0]), bps),
                    () =>
                    {
                        var bonded = m.Get(m.Bonded, p);
                        if (amount <= bonded) m.Bonded[p] = bonded - amount;
                        else
                        {
                            m.Bonded[p] = 0;
                            m.Unbonding[p] -= amount - bonded;
                        }
                    });
            }
            default:
            {
                var escrow = rng.Next(2) == 0;
                var warp = rng.Next(3) == 0;
                if (warp)
                {
                    // Now and then past a deadline's reclaim grace, so that reclaims succeed as well as fail.
                    var seconds = rng.Next(4) == 0 ? (int)SettlementDeployment.DefaultReclaimGraceSeconds + rng.Next(1, 2_500) : rng.Next(1, 2_500);
                    return ($"warp {seconds} s", true, () => f.Chain.IncreaseTimeAsync(seconds), () => { });
                }
                var paused = escrow ? m.EscrowPaused : m.StakingPaused;
                var target = escrow ? f.Addresses.Escrow : f.Addresses.Staking;
                var contract = new ChainContract(f.Accounts[Admin], target);
                // The deployer's key calling the contract directly is refused: only the timelock, after its delay, is the admin.
                var direct = rng.Next(3) == 0;
                return ($"{(paused ? "unpause" : "pause")} {(escrow ? "escrow" : "staking")} {(direct ? "directly by the deployer" : "through the timelock")}", !direct,
                    () => (direct, paused) switch
                    {
                        (true, true) => contract.SendAsync(new SharedAbi.UnpauseFunction()),
                        (true, false) => contract.SendAsync(new SharedAbi.PauseFunction()),
                        (false, true) => f.AdminAsync(target, new SharedAbi.UnpauseFunction()),
                        _ => f.AdminAsync(target, new SharedAbi.PauseFunction()),
                    },
                    () =>
                    {
                        if (escrow) m.EscrowPaused = !paused;
                        else m.StakingPaused = !paused;
                    });
            }
        }
    }

    private async Task CheckInvariantsAsync(Model m, string context)
    {
        // Read everything at once (anvil answers concurrent calls), then check.
        var escrow = f.Escrow(0);
        var staking = f.Staking(0);
        var jobsTask = Task.WhenAll(m.Jobs.Select(j => escrow.JobAsync(j.Id)));
        var creditsTask = Task.WhenAll(Everyone.SelectMany(a => new[] { 0, 1 }.Select(t => escrow.WithdrawableAsync(f.Address(a), TokenAddress(t)))));
        var usedIds = m.UsedSettlements.ToList();
        var usedTask = Task.WhenAll(usedIds.Select(id => escrow.SettlementUsedAsync(Convert.FromHexString(id))));
        var bondedTask = Task.WhenAll(Workers.Select(p => staking.BondedStakeAsync(f.Address(p))));
        var unbondingTask = Task.WhenAll(Workers.Select(p => staking.UnbondingStakeAsync(f.Address(p))));
        var releaseTask = Task.WhenAll(Workers.Select(p => staking.UnbondingReleaseTimeAsync(f.Address(p))));
        var escrowBalanceTask = f.Token(0).BalanceOfAsync(f.Addresses.Escrow);
        var escrowUsdcTask = f.Usdc(0).BalanceOfAsync(f.Addresses.Escrow);
        var stakingBalanceTask = f.Token(0).BalanceOfAsync(f.Addresses.Staking);
        await Task.WhenAll(jobsTask, creditsTask, usedTask, bondedTask, unbondingTask, releaseTask, escrowBalanceTask, escrowUsdcTask, stakingBalanceTask);

        var openRemaining = new BigInteger[2];
        for (var i = 0; i < m.Jobs.Count; i++)
        {
            var job = m.Jobs[i];
            var onChain = jobsTask.Result[i];
            if (onChain.Status != job.Status)
            {
                // An unpredicted reclaim near the deadline: the chain decides, the model follows.
                Assert.True(onChain.Status == JobEscrowAbi.JobStatus.Reclaimed || job.Status == JobEscrowAbi.JobStatus.Reclaimed,
                    $"{context}: job status {onChain.Status} on chain, {job.Status} in the model");
            }
            job.Status = onChain.Status;
            job.Remaining = onChain.Remaining;
            job.Refunded = onChain.Refunded;
            Assert.True(onChain.PaidOut == job.PaidOut, $"{context}: paid out {onChain.PaidOut} on chain, {job.PaidOut} in the model");
            Assert.Equal(job.Deposited, onChain.Deposited);
            Assert.Equal(TokenAddress(job.Token), onChain.Token, ignoreCase: true);
            if (onChain.Status == JobEscrowAbi.JobStatus.Open) openRemaining[job.Token] += onChain.Remaining;
            else Assert.True(onChain.PaidOut + onChain.Refunded == onChain.Deposited,
                $"{context}: closed job paid {onChain.PaidOut} + refunded {onChain.Refunded} != deposited {onChain.Deposited}");
        }
        var credits = new BigInteger[2];
        for (var i = 0; i < Everyone.Length; i++)
        {
            for (var t = 0; t < 2; t++)
            {
                var credit = creditsTask.Result[2 * i + t];
                Assert.True(credit == m.Credit(Everyone[i], t),
                    $"{context}: account {Everyone[i]} may withdraw {credit} {TokenName(t)} on chain, {m.Credit(Everyone[i], t)} in the model");
                credits[t] += credit;
            }
        }
        // Per token: what the escrow holds is exactly its open jobs' remainders plus its credits.
        Assert.True(escrowBalanceTask.Result == openRemaining[0] + credits[0],
            $"{context}: escrow holds {escrowBalanceTask.Result} GENS, open jobs {openRemaining[0]} + credits {credits[0]}");
        Assert.True(escrowUsdcTask.Result == openRemaining[1] + credits[1],
            $"{context}: escrow holds {escrowUsdcTask.Result} USDC, open jobs {openRemaining[1]} + credits {credits[1]}");
        for (var i = 0; i < usedIds.Count; i++)
            Assert.True(usedTask.Result[i], $"{context}: settlement {usedIds[i]} not marked used");

        var staked = BigInteger.Zero;
        for (var i = 0; i < Workers.Length; i++)
        {
            var p = Workers[i];
            var (bonded, unbonding) = (bondedTask.Result[i], unbondingTask.Result[i]);
            // An unpredicted withdrawUnbonded near its release time may have emptied the bucket.
            if (unbonding != m.Get(m.Unbonding, p)) Assert.True(unbonding == 0, $"{context}: provider {p} unbonding {unbonding}, model {m.Get(m.Unbonding, p)}");
            Assert.True(bonded == m.Get(m.Bonded, p), $"{context}: provider {p} bonded {bonded} on chain, {m.Get(m.Bonded, p)} in the model");
            m.Unbonding[p] = unbonding;
            m.Release[p] = releaseTask.Result[i];
            staked += bonded + unbonding;
        }
        Assert.True(stakingBalanceTask.Result == staked, $"{context}: staking holds {stakingBalanceTask.Result}, stakes sum to {staked}");
    }
}
