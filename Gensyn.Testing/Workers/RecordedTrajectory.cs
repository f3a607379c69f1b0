using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Gensyn.Contracts;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Testing.Workers;

/// <summary>
/// A rehearsed attack's run (see <see cref="WorkerBehaviors.Run"/>): it keeps every state it took, since those cannot
/// be rebuilt by honest training, and commits those after local steps 0, c, ..., H as an honest run does.
/// </summary>
public sealed class RecordedTrajectory : ShardTrajectory
{
    private const double NoiseScale = 1e-3;
    private readonly StateSnapshot[] _states;

    private RecordedTrajectory(ShardTask task, WorkerBehavior behavior, ShardOutcome outcome,
                               IReadOnlySet<int> fakedSteps, StateSnapshot[] states)
        : base(task, outcome) => (Behavior, FakedSteps, _states) = (behavior, fakedSteps, states);

    public override IReadOnlySet<int> FakedSteps { get; }

    /// <summary>The attack this trajectory rehearses.</summary>
    public WorkerBehavior Behavior { get; }

    public override int KeptStates => _states.Length;

    public override StateSnapshot OpenState(TrainingSession session, int localStep)
    {
        CheckLeaf(localStep);
        return _states[localStep];
    }

    public static RecordedTrajectory Run(TrainingSession session, ShardTask task, StateSnapshot start,
                                         WorkerBehavior behavior, double fakeFraction, IShardObserver? observer,
                                         CancellationToken ct)
    {
        var h = task.InnerSteps;
        var random = SeededRandom(task, behavior);
        IReadOnlySet<int> faked = behavior is WorkerBehavior.Lazy or WorkerBehavior.Noisy
            ? DrawSteps(random, h, fakeFraction)
            : Enumerable.Range(1, h).ToHashSet();
        var trainTask = behavior == WorkerBehavior.WrongData ? task with { Seed = task.Seed + 1 } : task;
        var states = new StateSnapshot[h + 1];
        var digests = new Sha256Digest[task.Segments + 1];
        var losses = new float[h];
        states[0] = start;
        digests[0] = start.Digest();
        float? firstLoss = null;
        float FirstLoss() => firstLoss ??= Train(session, task, start, 1).Loss;

        for (var i = 1; i <= h; i++)
        {
            ct.ThrowIfCancellationRequested();
            var before = states[i - 1];
            (states[i], losses[i - 1]) = behavior switch
            {
                WorkerBehavior.Stale or WorkerBehavior.Copycat => (start.WithStep(start.Step + i), FirstLoss()),
                WorkerBehavior.Lazy when faked.Contains(i) =>
                    (Extrapolate(i >= 2 ? states[i - 2] : null, before), i >= 2 ? losses[i - 2] : FirstLoss()),
                WorkerBehavior.Noisy when faked.Contains(i) => AddNoise(Train(session, trainTask, before, i), random),
                _ => Train(session, trainTask, before, i),
            };
            if (task.Commits(i)) digests[task.LeafOf(i)] = states[i].Digest();
            observer?.OnStep(i, losses[i - 1]);
            if (observer is not null && i % task.CheckpointEvery == 0 && i < h && task.Commits(i))
            {
                observer.OnCheckpoint(new ShardCheckpoint(task.Round, task.Shard, i, states[i],
                    digests[..(task.LeafOf(i) + 1)], losses[..i]));
            }
        }
        var outcome = new ShardOutcome(states[h], digests, MerkleTree.ComputeRoot(digests), losses);
        return new RecordedTrajectory(task, behavior, outcome, faked, states);
    }

    /// <summary>
    /// Step <paramref name="localStep"/> trained honestly on <paramref name="task"/>'s batches from
    /// <paramref name="before"/>.
    /// </summary>
    private static (StateSnapshot State, float Loss) Train(TrainingSession session, ShardTask task,
                                                           StateSnapshot before, int localStep)
    {
        var loss = 0f;
        var after = session.ReplayRange(task, before, localStep - 1, localStep, (_, l) => loss = l);
        return (after, loss);
    }

    /// <summary>
    /// The steps a <see cref="WorkerBehavior.Lazy"/> or <see cref="WorkerBehavior.Noisy"/> worker fakes on shard
    /// <paramref name="shard"/> of round <paramref name="round"/> of a job trained with <paramref name="seed"/>, H
    /// <paramref name="innerSteps"/>: what a rehearsal's author checks a seeded choice against.
    /// </summary>
    public static IReadOnlySet<int> FakedStepsOf(long seed, int round, int shard, int innerSteps,
                                                 WorkerBehavior behavior, double fakeFraction) =>
        DrawSteps(SeededRandom(seed, round, shard, behavior), innerSteps, fakeFraction);

    /// <summary>A generator fixed by the task's seed, round, shard and behaviour, the same everywhere.</summary>
    private static Random SeededRandom(ShardTask task, WorkerBehavior behavior) =>
        SeededRandom(task.Seed, task.Round, task.Shard, behavior);

    private static Random SeededRandom(long seed, int round, int shard, WorkerBehavior behavior)
    {
        ReadOnlySpan<long> key = [seed, round, shard, (long)behavior];
        var hash = SHA256.HashData(MemoryMarshal.AsBytes(key));
        return new Random(BitConverter.ToInt32(hash, 0));
    }

    /// <summary>
    /// round(<paramref name="fraction"/> · H) distinct steps of 1..H (at least one), by a partial Fisher–Yates shuffle.
    /// </summary>
    private static HashSet<int> DrawSteps(Random random, int h, double fraction)
    {
        var count = Math.Clamp((int)Math.Round(fraction * h, MidpointRounding.AwayFromZero), 1, h);
        var steps = Enumerable.Range(1, h).ToArray();
        for (var i = 0; i < count; i++)
        {
            var j = random.Next(i, h);
            (steps[i], steps[j]) = (steps[j], steps[i]);
        }
        return steps[..count].ToHashSet();
    }

    /// <summary>
    /// before + (before − previous) on every tensor (before itself when there is no previous state), step counter + 1.
    /// </summary>
    private static StateSnapshot Extrapolate(StateSnapshot? previous, StateSnapshot before) => new(
        before.Tensors.Select((t, k) => previous is null ? t : t with
        {
            Values = t.Values.Select((v, j) => v + (v - previous.Tensors[k].Values[j])).ToArray(),
        }),
        before.Step + 1);

    /// <summary>
    /// The trained step with Gaussian noise of standard deviation 1e-3 · RMS added to each parameter tensor; the loss
    /// kept.
    /// </summary>
    private static (StateSnapshot State, float Loss) AddNoise((StateSnapshot State, float Loss) step, Random random) =>
        (new(
        step.State.Tensors.Select(t =>
        {
            if (!t.Name.StartsWith("param/", StringComparison.Ordinal) || t.Values.Length == 0) return t;
            var sigma = NoiseScale * Math.Sqrt(t.Values.Sum(v => (double)v * v) / t.Values.Length);
            return t with { Values = t.Values.Select(v => (float)(v + sigma * Gaussian(random))).ToArray() };
        }),
        step.State.Step), step.Loss);

    /// <summary>A standard normal draw (Box–Muller).</summary>
    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
