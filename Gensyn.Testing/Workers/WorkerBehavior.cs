using Gensyn.Training.State;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Testing.Workers;

/// <summary>
/// How a worker behaves on a shard. Everything but <see cref="Honest"/> is a rehearsed attack that the verification
/// must catch (see <see cref="WorkerBehaviors.Run"/> for what each one commits).
/// </summary>
public enum WorkerBehavior
{
    /// <summary>Trains every step and answers challenges.</summary>
    Honest,
    /// <summary>Skips a fraction of the steps, extrapolating the state after each from the previous update.</summary>
    Lazy,
    /// <summary>Trains every step but perturbs the parameters after a fraction of them with Gaussian noise.</summary>
    Noisy,
    /// <summary>Does no training: commits its start state at every step and returns it.</summary>
    Stale,
    /// <summary>Trains every step, but on another data order than the task's.</summary>
    WrongData,
    /// <summary>
    /// Copies another worker's root in replicated mode (<see cref="PublishedRoots"/>); otherwise it did no work and
    /// commits like <see cref="Stale"/>.
    /// </summary>
    Copycat,
    /// <summary>Trains honestly but never answers a challenge (the worker withholds the openings).</summary>
    Refuser,
}

/// <summary>Names of the <see cref="WorkerBehavior"/>s, and what each one commits.</summary>
public static class WorkerBehaviors
{
    private static readonly (string Name, WorkerBehavior Behavior)[] Known =
    [
        ("honest", WorkerBehavior.Honest),
        ("lazy", WorkerBehavior.Lazy),
        ("noisy", WorkerBehavior.Noisy),
        ("stale", WorkerBehavior.Stale),
        ("wrong-data", WorkerBehavior.WrongData),
        ("copycat", WorkerBehavior.Copycat),
        ("refuser", WorkerBehavior.Refuser),
    ];

    /// <summary>
    /// The behaviour named by <paramref name="text"/> (case-insensitive, surrounding spaces ignored); null or blank
    /// means <see cref="WorkerBehavior.Honest"/>. "stall" is not a behaviour here: it concerns the worker, not what a
    /// trajectory commits (<see cref="EnvironmentWorkerFaults"/> checks for it first); it is rejected like any unknown
    /// name.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a behaviour; the message lists the valid names.</exception>
    public static WorkerBehavior Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return WorkerBehavior.Honest;
        var name = text.Trim();
        foreach (var (known, behavior) in Known)
            if (string.Equals(known, name, StringComparison.OrdinalIgnoreCase)) return behavior;
        var valid = string.Join(", ", Known.Select(k => k.Name));
        throw new ArgumentException($"unknown worker behavior '{name}'; valid values are {valid}", nameof(text));
    }

    /// <summary>
    /// Runs shard <paramref name="task"/> from <paramref name="start"/> as a worker of the given behaviour would.
    /// <list type="bullet">
    /// <item>Honest, Refuser: <see cref="ShardTrajectory.Run"/>, the production path.</item>
    /// <item>Lazy: a deterministic <paramref name="fakeFraction"/> of the steps (round(fraction · H), at least one,
    /// drawn from the task's seed, round and shard) is skipped: the state after is the state before plus the previous
    /// update, with the step counter advanced (at step 1, with no previous update, the state before itself). The other
    /// steps train honestly from the committed (possibly fake) state before them, so only the faked steps fail a
    /// replay.</item>
    /// <item>Noisy: every step is trained, but after each of a <paramref name="fakeFraction"/> of them (drawn as for
    /// Lazy) the parameters get seeded Gaussian noise with a standard deviation of 1e-3 of each tensor's RMS.</item>
    /// <item>Stale, Copycat: no training; leaf i is the start state's tensors with step counter start + i, and so is
    /// the final state.</item>
    /// <item>WrongData: every step trained honestly, but on the batches of the task with seed + 1.</item>
    /// </list>
    /// A faked step reports a plausible loss: the previous step's, or for step 1 the loss of one honest step from the
    /// start state (measured and discarded). Attacks are deterministic, so they ignore <paramref name="resume"/> and
    /// rebuild the same commitment from the start; their observer gets every step and checkpoints of the states
    /// they commit.
    /// </summary>
    /// <param name="fakeFraction">The fraction of steps Lazy and Noisy fake, in [0, 1]; ignored by the others.</param>
    public static ShardTrajectory Run(TrainingSession session, ShardTask task, StateSnapshot start,
                                      WorkerBehavior behavior, double fakeFraction, IShardObserver? observer,
                                      ShardCheckpoint? resume, CancellationToken ct)
    {
        if (!(fakeFraction >= 0 && fakeFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fakeFraction),
                $"fake fraction {fakeFraction} is outside [0, 1]");
        return behavior switch
        {
            WorkerBehavior.Honest or WorkerBehavior.Refuser =>
                ShardTrajectory.Run(session, task, start, observer, resume, ct),
            WorkerBehavior.Lazy or WorkerBehavior.Noisy or WorkerBehavior.Stale or WorkerBehavior.WrongData
                or WorkerBehavior.Copycat =>
                RecordedTrajectory.Run(session, task, start, behavior, fakeFraction, observer, ct),
            _ => throw new ArgumentOutOfRangeException(nameof(behavior), $"unknown worker behavior {behavior}"),
        };
    }
}
