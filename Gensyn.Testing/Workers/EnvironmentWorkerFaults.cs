using System.Globalization;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Testing.Workers;

/// <summary>
/// The rehearsed attacks an operator asks of a `gensyn worker` through its environment:
/// <list type="bullet">
/// <item><c>GENSYN_WORKER_BEHAVIOR=stall</c>: takes a shard and never progresses.</item>
/// <item><c>GENSYN_WORKER_BEHAVIOR=lazy|noisy|stale|wrong-data|copycat|refuser</c>: cheats as
/// <see cref="WorkerBehaviors.Run"/> describes, faking a fraction <c>GENSYN_WORKER_FAKE_FRACTION</c> (default 0.25)
/// of the steps where that applies (lazy: of an inference shard's batches too).</item>
/// <item>The copycat commits, in replicated mode, the root its <see cref="IReplicaRootSource"/> finds.</item>
/// <item><c>GENSYN_WORKER_HONEST_RESULTS=n</c> (default 0) with any of those: a sleeper, honest on the first n shards
/// it takes (each one result) and cheating as asked from the next one on. The worker runs one shard at a time, so
/// what it does for the shard in hand (train, skip batches, copy a root, answer its challenge) follows from the count
/// of shards taken.</item>
/// <item><c>GENSYN_WORKER_CHEATING_RESULTS=m</c> (default: no end) with a behaviour: it cheats on m shards only, then
/// is honest again (a key that cheats once, between honest results).</item>
/// </list>
/// </summary>
public sealed class EnvironmentWorkerFaults : IWorkerFaults
{
    public const string BehaviorVariable = "GENSYN_WORKER_BEHAVIOR";
    public const string FakeFractionVariable = "GENSYN_WORKER_FAKE_FRACTION";
    public const string HonestResultsVariable = "GENSYN_WORKER_HONEST_RESULTS";
    public const string CheatingResultsVariable = "GENSYN_WORKER_CHEATING_RESULTS";
    public const double DefaultFakeFraction = 0.25;

    private readonly bool _stalls;
    private readonly IReplicaRootSource? _roots;
    private int _taken;

    private EnvironmentWorkerFaults(WorkerBehavior behavior, double fakeFraction, int honestResults, bool stalls,
                                    IReplicaRootSource? roots, int? cheatingResults = null)
    {
        Behavior = behavior;
        FakeFraction = fakeFraction;
        HonestResults = honestResults;
        CheatingResults = cheatingResults;
        _stalls = stalls;
        _roots = roots;
    }

    public WorkerBehavior Behavior { get; }
    public double FakeFraction { get; }

    /// <summary>How many shards the worker takes honestly before it cheats (0: it cheats from the first).</summary>
    public int HonestResults { get; }

    /// <summary>How many shards it cheats on after the honest ones (null: every one after them).</summary>
    public int? CheatingResults { get; }

    /// <summary>Shards taken so far (<see cref="BeforeTrainingAsync"/> counts them).</summary>
    public int ShardsTaken => Volatile.Read(ref _taken);

    /// <summary>
    /// Whether it cheats on the shard in hand: always without <see cref="HonestResults"/>, else once it took more
    /// than that many, and until it took <see cref="CheatingResults"/> more. A refuser then refuses every challenge, a
    /// late one of its last honest result too.
    /// </summary>
    public bool Cheating => (HonestResults == 0 || ShardsTaken > HonestResults)
                            && (CheatingResults is not { } cheats || ShardsTaken <= HonestResults + cheats);

    /// <summary>
    /// The faults <paramref name="variable"/> asks for, or null when it asks for none (an honest worker runs the
    /// production code alone). The copycat copies roots from <paramref name="roots"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown behaviour, or a fake fraction outside [0, 1].</exception>
    public static IWorkerFaults? FromEnvironment(Func<string, string?> variable, IReplicaRootSource? roots = null)
    {
        var name = variable(BehaviorVariable);
        if (string.Equals(name?.Trim(), "stall", StringComparison.OrdinalIgnoreCase))
            return new EnvironmentWorkerFaults(WorkerBehavior.Honest, 0, 0, stalls: true, null);
        var behavior = WorkerBehaviors.Parse(name);
        if (behavior == WorkerBehavior.Honest) return null;
        var text = variable(FakeFractionVariable);
        var fraction = DefaultFakeFraction;
        if (!string.IsNullOrWhiteSpace(text)
            && !(double.TryParse(text, CultureInfo.InvariantCulture, out fraction) && fraction >= 0 && fraction <= 1))
            throw new ArgumentException($"{FakeFractionVariable}: must be a number from 0 to 1, got '{text}'");
        var honestResults = Count(variable, HonestResultsVariable) ?? 0;
        var cheatingResults = Count(variable, CheatingResultsVariable);
        return new EnvironmentWorkerFaults(behavior, fraction, honestResults, stalls: false, roots, cheatingResults);
    }

    private static int? Count(Func<string, string?> variable, string name)
    {
        var text = variable(name);
        if (string.IsNullOrWhiteSpace(text)) return null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count
            : throw new ArgumentException($"{name}: must be a whole number of results, 0 or more, got '{text}'");
    }

    public string? Description => _stalls
        ? $"{BehaviorVariable}=stall: this worker takes shards and never progresses"
        : $"{BehaviorVariable}={Behavior}: this worker cheats (fake fraction {FakeFraction})"
          + (HonestResults > 0 ? $" after {HonestResults} honest result(s)" : "")
          + (CheatingResults is { } m ? $" on {m} result(s) only" : "");

    public bool AnswersChallenges => Behavior != WorkerBehavior.Refuser || !Cheating;

    public async Task BeforeTrainingAsync(ShardAssignment a, Action<string> warn, CancellationToken token)
    {
        var taken = Interlocked.Increment(ref _taken);
        if (HonestResults > 0 && taken == HonestResults + 1)
            warn($"{BehaviorVariable}={Behavior}: {HonestResults} honest result(s) given, cheating from " +
                 $"{a.JobId} round {a.Round} shard {a.Shard} on");
        if (!_stalls) return;
        warn($"{BehaviorVariable}=stall: holding {a.JobId} round {a.Round} shard {a.Shard} without progress");
        await Task.Delay(Timeout.Infinite, token);
    }

    public ShardTrajectory Train(TrainingSession session, ShardTask task, StateSnapshot start, IShardObserver observer,
                                 ShardCheckpoint? resume, CancellationToken token) =>
        WorkerBehaviors.Run(session, task, start, Cheating ? Behavior : WorkerBehavior.Honest, FakeFraction, observer,
            resume, token);

    public Func<int, bool>? SkippedBatches => Behavior == WorkerBehavior.Lazy && Cheating
        ? batch => batch * 0.6180339887 % 1.0 < FakeFraction
        : null;

    public async Task<Sha256Digest> ReplicaRootAsync(ShardAssignment a, Sha256Digest own, CancellationToken token) =>
        Behavior == WorkerBehavior.Copycat && Cheating && _roots is not null
        && await _roots.RootOfAsync(a, token) is { } copied
            ? copied
            : own;
}
