using Gensyn.Actors;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Testing.Settlement;
using Gensyn.Testing.Verification;
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
            var roots = CopiedRoots(options);
            var faults = EnvironmentWorkerFaults.FromEnvironment(Environment.GetEnvironmentVariable, roots);
            return faults is null ? options : options with { Faults = faults };
        }
        catch (ArgumentException e)
        {
            throw new CliInputException(e.Message);
        }
    }

    /// <summary>
    /// The roots a copycat copies: those the coordinators published for GENSYN_COPYCAT_JOB, asked for with the payer's
    /// key GENSYN_COPYCAT_KEY (default: this worker's DATA_DIR/wallet.key); null when no job is named.
    /// </summary>
    private static IReplicaRootSource? CopiedRoots(WorkerOptions options)
    {
        var job = Environment.GetEnvironmentVariable(PublishedRoots.JobVariable);
        if (string.IsNullOrWhiteSpace(job)) return null;
        var key = Environment.GetEnvironmentVariable(PublishedRoots.KeyVariable);
        var coordinators = string.Join(",", options.Coordinators);
        return new PublishedRoots(async _ =>
        {
            var keyFile = string.IsNullOrWhiteSpace(key) ? null : key;
            await using var client = CoordinatorClient.Connect(coordinators, keyFile, options.DataDirectory);
            return await client.Ask(new GetJobStatus((JobId)job.Trim()));
        });
    }

    /// <summary>
    /// A coordinator that kills itself after sending a payout when GENSYN_CRASH_AFTER_PAYOUT_SENT=1, and whose
    /// challenges of one worker's early results miss when GENSYN_BLIND_CHALLENGES names it.
    /// </summary>
    public static CoordinatorOptions Coordinator(CoordinatorOptions options)
    {
        if (CrashAfterPayoutSent.FromEnvironment(Environment.GetEnvironmentVariable) is { } crash)
            options = options with { SettlementFaults = crash };
        try
        {
            return BlindChallenges.FromEnvironment(Environment.GetEnvironmentVariable) is { } blind
                ? options with { ChallengeFaults = blind }
                : options;
        }
        catch (ArgumentException e)
        {
            throw new CliInputException(e.Message);
        }
    }
}
