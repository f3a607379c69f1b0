using System.Numerics;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Nethereum.RPC.Eth.DTOs;

namespace Gensyn.Actors.Settlement;

/// <summary>
/// An audit's escrow deposit (<see cref="SettlementKind.Deposit"/>): the settlement account puts what the convicted
/// stake gave for a recomputed round into an escrow job of the round's own (its key: the order's
/// <see cref="SettlementOrder.Escrow"/>), in GENS, so that the round's payout settles under a settlement id as every
/// payout does. The escrow accepts one deposit per key, so a deposit sent again after a restart is found, not
/// repeated (JobLedger.Audit.cs).
/// </summary>
public static class AuditEscrowDeposit
{
    /// <summary>How long the audit's escrow stays open before the settlement account could reclaim it.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);

    /// <summary>The escrow job an order settles: the job's own, or the one it names (an audit's).</summary>
    public static byte[] EscrowOf(SettlementOrder order) =>
        order.Escrow is { } key ? EscrowIds.FromHex(key) : EscrowIds.JobKey(order.JobId);

    /// <summary>Where a slash's requester share goes: the requester, or the settlement key for an audit's
    /// charge.</summary>
    public static string ShareTo(SettlementOrder order, ChainRuntime chain) =>
        order.Requester == SettlementOrder.SettlementAccount ? chain.SettlementAuthority : order.Requester!;

    /// <summary>"" when the escrow was opened already (its transaction is not looked up), else null.</summary>
    public static async Task<string?> FindAsync(SettlementOrder order, ChainRuntime chain) =>
        (await chain.Escrow.JobAsync(EscrowIds.FromHex(order.Escrow!))).Status == JobEscrowAbi.JobStatus.None
            ? null
            : "";

    /// <summary>Allows the escrow the amount (waiting for it to be mined), then sends the deposit: its hash.</summary>
    public static async Task<string> SendAsync(SettlementOrder order, ChainRuntime chain)
    {
        var amount = new BigInteger(order.DepositMicros ?? 0);
        var allowance = await chain.Token.QueryAsync<GensynTokenAbi.AllowanceFunction, BigInteger>(new()
        {
            Owner = chain.SettlementAuthority, Spender = chain.Settings.Escrow,
        });
        if (allowance < amount) await chain.Token.ApproveAsync(chain.Settings.Escrow, amount);
        var block = await chain.Signer.Eth.Blocks.GetBlockWithTransactionsHashesByNumber
            .SendRequestAsync(BlockParameter.CreateLatest());
        var deadline = (ulong)block.Timestamp.Value + (ulong)Lifetime.TotalSeconds;
        return await chain.SendAsync(chain.Settings.Escrow, new JobEscrowAbi.DepositFunction
        {
            JobId = EscrowIds.FromHex(order.Escrow!), Token = chain.Settings.Token, Amount = amount,
            Deadline = deadline,
        });
    }
}
