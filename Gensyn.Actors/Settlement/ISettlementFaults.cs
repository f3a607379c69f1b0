using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Settlement;

/// <summary>
/// Where the settlement may be interrupted on purpose: nowhere in production (<see cref="NoSettlementFaults"/>); a
/// crash right after a payout is sent (Gensyn.Testing, GENSYN_CRASH_AFTER_PAYOUT_SENT) rehearses the outbox's
/// recovery.
/// </summary>
public interface ISettlementFaults
{
    /// <summary>Called once <paramref name="order"/>'s transaction is sent, before its hash is recorded.</summary>
    void AfterSent(SettlementOrder order, string txHash);
}

/// <summary>The production settlement: nothing interrupts it.</summary>
public sealed class NoSettlementFaults : ISettlementFaults
{
    public static readonly NoSettlementFaults Instance = new();

    private NoSettlementFaults()
    {
    }

    public void AfterSent(SettlementOrder order, string txHash)
    {
    }
}
