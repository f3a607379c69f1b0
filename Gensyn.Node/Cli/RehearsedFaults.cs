using Gensyn.Actors;
using Gensyn.Actors.Workers;
using Gensyn.Testing.Settlement;
using Gensyn.Testing.Workers;

namespace Gensyn.Node.Cli;

/// <summary>
/// Attacks and crashes an operator rehearses on their own network, asked for through the environment
/// (docs/reference/environment.md) and handed to the options; without those variables the nodes run the production
/// code alone.
/// </summary>
internal static class RehearsedFaults
{
    /// <summary>A worker that cheats, stalls or copies when GENSYN_WORKER_BEHAVIOR asks for it.</summary>
    public static WorkerOptions Worker(WorkerOptions options)
    {
        try
        {
            var leak = Environment.GetEnvironmentVariable(LeakedLogRoots.Variable);
            var roots = string.IsNullOrEmpty(leak) ? null : new LeakedLogRoots(leak);
            return EnvironmentWorkerFaults.FromEnvironment(Environment.GetEnvironmentVariable, roots) is { } faults
                ? options with { Faults = faults }
                : options;
        }
        catch (ArgumentException e)
        {
            throw new CliInputException(e.Message);
        }
    }

    /// <summary>A coordinator that kills itself after sending a payout when GENSYN_CRASH_AFTER_PAYOUT_SENT=1.</summary>
    public static CoordinatorOptions Coordinator(CoordinatorOptions options) =>
        CrashAfterPayoutSent.FromEnvironment(Environment.GetEnvironmentVariable) is { } crash
            ? options with { SettlementFaults = crash }
            : options;
}
