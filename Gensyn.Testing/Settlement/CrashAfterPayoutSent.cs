using Gensyn.Actors.Settlement;
using Gensyn.Contracts.Messages;

namespace Gensyn.Testing.Settlement;

/// <summary>
/// <c>GENSYN_CRASH_AFTER_PAYOUT_SENT=1</c>: the coordinator kills itself (SIGKILL) right after sending a round's
/// payout, before it records the transaction hash, so that its successor must find the payout on chain and not pay it
/// twice.
/// </summary>
public sealed class CrashAfterPayoutSent : ISettlementFaults
{
    public const string Variable = "GENSYN_CRASH_AFTER_PAYOUT_SENT";

    /// <summary>The crash when <paramref name="variable"/> asks for it, else null (nothing interrupts).</summary>
    public static ISettlementFaults? FromEnvironment(Func<string, string?> variable) =>
        variable(Variable) == "1" ? new CrashAfterPayoutSent() : null;

    public void AfterSent(SettlementOrder order, string txHash)
    {
        if (order.Kind != SettlementKind.PayRound) return;
        // Straight to stderr: the logger is asynchronous and would lose the line.
        Console.Error.WriteLine(
            $"Settlement: {Variable}=1: killing this process after sending {order.SettlementId} (tx {txHash})");
        Console.Error.Flush();
        System.Diagnostics.Process.GetCurrentProcess().Kill();
    }
}
