using System.CommandLine;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Spectre.Console;

namespace Gensyn.Node.Cli;

/// <summary><c>gensyn watch JOB</c>: live progress until the job ends; the exit code is the job's outcome.</summary>
public static class WatchCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "The job id `submit` printed" };
        var coordinator = ClusterCli.CoordinatorOption();
        var key = ClusterCli.WalletOption();
        var json = ClusterCli.JsonOption();
        var command = new Command("watch", "Follow a job with progress bars until it completes (exit 0), fails or is cancelled (exit 1)")
        {
            job, coordinator, json, key,
        };
        command.SetAction(async (parse, cancel) =>
        {
            await using var client = ClusterCli.Connect(parse, coordinator, key);
            return await JobWatcher.Watch(client, parse.GetRequiredValue(job), parse.GetValue(json), cancel);
        });
        return command;
    }
}

/// <summary>Polls a job's status until it is terminal, drawing progress on a terminal or logging lines otherwise.</summary>
public static class JobWatcher
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a watch keeps retrying when the coordinators stop answering (a restart, a hand-over).</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    /// <param name="printFinal">Print the final status (JSON with <paramref name="json"/>, else a summary) when the job ends.</param>
    public static async Task<int> Watch(CoordinatorClient client, string jobId, bool json, CancellationToken cancel, bool printFinal = true)
    {
        var interactive = !json && !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        JobView? final = null;
        IGensynMessage? failure = null;
        if (interactive)
        {
            await AnsiConsole.Progress().AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    ProgressTask? total = null;
                    var shards = new Dictionary<int, ProgressTask>();
                    (final, failure) = await Follow(client, jobId, cancel, view =>
                    {
                        total ??= context.AddTask("job", maxValue: Math.Max(1, view.Rounds));
                        total.Description = $"{jobId} round {Math.Min(view.RoundHistory.Count + 1, view.Rounds)}/{view.Rounds} match rate {view.MatchRate:P0}";
                        total.Value = view.RoundHistory.Count;
                        foreach (var s in view.Shards)
                        {
                            if (!shards.TryGetValue(s.Shard, out var bar)) shards[s.Shard] = bar = context.AddTask($"shard {s.Shard}", maxValue: s.InnerSteps);
                            bar.Value = s.Step;
                            bar.Description = $"shard {s.Shard} {s.State} {s.WorkerId ?? ""} {(s.Loss is { } l ? $"loss {l:F3}" : "")}";
                        }
                    });
                });
        }
        else
        {
            var (lastRound, lastVerdicts) = (-1, 0);
            (final, failure) = await Follow(client, jobId, cancel, view =>
            {
                if (json) return;
                foreach (var v in (view.Verdicts ?? []).Skip(lastVerdicts).Where(v => v.Outcome != VerdictOutcome.Accepted))
                    Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} {jobId}: round {v.Round + 1} shard {v.Shard} from worker {v.WorkerId} REJECTED ({v.Outcome.ToString().ToLowerInvariant()}): {v.Reason}");
                lastVerdicts = view.Verdicts?.Count ?? 0;
                if (view.RoundHistory.Count == lastRound) return;
                lastRound = view.RoundHistory.Count;
                Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} {jobId}: {StatusCommand.Lower(view.State)}, {view.RoundHistory.Count}/{view.Rounds} rounds done" +
                    (view.RoundHistory.Count > 0 ? $", mean loss {view.RoundHistory[^1].MeanLoss:F4}" : "") + $", match rate {view.MatchRate:P1}");
            });
        }
        if (final is null) return ClusterCli.Fail(failure!);
        if (printFinal && json) Console.WriteLine(ClusterCli.JsonOf(final));
        else if (printFinal) JobReport.Print(final, Console.Out);
        return final.State == JobPhase.Completed ? ExitCodes.Success : ExitCodes.Failure;
    }

    private static async Task<(JobView? Final, IGensynMessage? Failure)> Follow(CoordinatorClient client, string jobId, CancellationToken cancel, Action<JobView> show)
    {
        DateTime? silentSince = null;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            IGensynMessage reply;
            try
            {
                reply = await client.Ask(new GetJobStatus((JobId)jobId));
                if (silentSince is not null) Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} reconnected");
                silentSince = null;
            }
            catch (CoordinatorUnavailableException) when ((silentSince ??= DateTime.UtcNow) > DateTime.UtcNow - Patience)
            {
                Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} no coordinator answers; retrying...");
                continue;
            }
            if (reply is not JobView view) return (null, reply);
            show(view);
            if (view.State is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled) return (view, null);
            await Task.Delay(Poll, cancel);
        }
    }
}
