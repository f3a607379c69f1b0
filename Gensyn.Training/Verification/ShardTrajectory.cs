using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Gensyn.Contracts;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Training.Verification;

/// <summary>
/// How a worker behaves on a shard. Everything but <see cref="Honest"/> is test-only misbehaviour that the
/// verification must catch (see <see cref="ShardTrajectory"/> for what each one commits).
/// </summary>
public enum WorkerBehavior
{
    /// <summary>Trains every step and answers challenges.</summary>
    Honest,
    /// <summary>Skips a fraction of the steps, extrapolating the state after each from the previous update.</summary>
    Lazy,
    /// <summary>Trains every step but perturbs the parameters after a fraction of them with small Gaussian noise.</summary>
    Noisy,
    /// <summary>Does no training: commits its start state at every step and returns it.</summary>
    Stale,
    /// <summary>Trains every step, but on another data order than the task's.</summary>
    WrongData,
    /// <summary>Copies another worker's result in replicated mode; in spot-check mode it did no work and commits like <see cref="Stale"/>.</summary>
    Copycat,
    /// <summary>Trains honestly but never answers a challenge (the actor layer withholds the openings).</summary>
    Refuser,
}

/// <summary>Reads a <see cref="WorkerBehavior"/> from its name, as given in the GENSYN_WORKER_BEHAVIOR environment variable.</summary>
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
    /// means <see cref="WorkerBehavior.Honest"/>. "stall" is not a behaviour here: it concerns the actor, not
    /// what a trajectory commits, so the actor checks for it before parsing and it is rejected like any unknown name.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not one of the behaviours; the message lists the valid names.</exception>
    public static WorkerBehavior Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return WorkerBehavior.Honest;
        var name = text.Trim();
        foreach (var (known, behavior) in Known)
            if (string.Equals(known, name, StringComparison.OrdinalIgnoreCase)) return behavior;
        throw new ArgumentException($"unknown worker behavior '{name}'; valid values are {string.Join(", ", Known.Select(k => k.Name))}", nameof(text));
    }
}

/// <summary>
/// What a worker keeps after a shard so that it can answer spot-check challenges later: the outcome it delivered
/// (final state, step digests 0..H, Merkle root, losses) and a way to open any committed leaf in full.
/// <para>
/// An honest trajectory (<see cref="WorkerBehavior.Honest"/> and <see cref="WorkerBehavior.Refuser"/>) keeps only the
/// shard's checkpoints (every C steps), the start state and a resume checkpoint if it had one, and rebuilds any other
/// state with <see cref="TrainingSession.ReplayRange"/> from the nearest one below — so memory grows with H / C, not H.
/// An adversarial trajectory keeps every state it committed (fine at test sizes): those states are not reproducible
/// by training, which is the point of catching them.
/// </para>
/// Opening uses the job's session and so shares its rule: one thread at a time, and it overwrites the live tensors.
/// </summary>
public abstract class ShardTrajectory
{
    private MerkleTree? _tree;

    private protected ShardTrajectory(ShardTask task, WorkerBehavior behavior, ShardOutcome outcome, IReadOnlySet<int> fakedSteps)
    {
        Task = task;
        Behavior = behavior;
        Outcome = outcome;
        FakedSteps = fakedSteps;
    }

    public ShardTask Task { get; }
    public WorkerBehavior Behavior { get; }

    /// <summary>What the worker delivered: final state, committed step digests 0..H, their root, and the losses it reported.</summary>
    public ShardOutcome Outcome { get; }

    /// <summary>The steps (1..H) whose committed state is not the honest step from the committed state before it; empty when honest.</summary>
    public IReadOnlySet<int> FakedSteps { get; }

    /// <summary>How many full states the trajectory holds in memory.</summary>
    public abstract int KeptStates { get; }

    /// <summary>The state the worker committed as leaf <paramref name="localStep"/> (0..H); its digest is <c>Outcome.StepDigests[localStep]</c>.</summary>
    public abstract StateSnapshot OpenState(TrainingSession session, int localStep);

    /// <summary>
    /// The worker's answer to a challenge of step <paramref name="step"/> (1..H): the committed state before it with
    /// both leaves' proofs, and the committed state after it too when <paramref name="withAfter"/> (for cross-class checks).
    /// </summary>
    public StepOpening Open(TrainingSession session, int step, bool withAfter)
    {
        if (step < 1 || step > Task.InnerSteps)
            throw new ArgumentOutOfRangeException(nameof(step), $"step {step} is outside 1..{Task.InnerSteps}");
        _tree ??= new MerkleTree(Outcome.StepDigests);
        var before = OpenState(session, step - 1);
        var after = withAfter ? OpenState(session, step) : null;
        return StepOpening.Create(step, _tree, Outcome.StepDigests, before, after);
    }

    /// <summary>
    /// Runs shard <paramref name="task"/> from <paramref name="start"/> as a worker of the given behaviour would.
    /// <list type="bullet">
    /// <item>Honest, Refuser: <see cref="TrainingSession.RunShard"/>, from <paramref name="resume"/> when given (steps below the
    /// resume point are then rebuilt from <paramref name="start"/> when opened). The observer gets every step and checkpoint.</item>
    /// <item>Lazy: a deterministic <paramref name="fakeFraction"/> of the steps (round(fraction · H), at least one, drawn from the
    /// task's seed, round and shard) is skipped: the state after is the state before plus the previous update, with the step
    /// counter advanced (at step 1, with no previous update, the state before itself). The other steps train honestly from
    /// the committed (possibly fake) state before them, so only the faked steps fail a replay.</item>
    /// <item>Noisy: every step is trained, but after each of a <paramref name="fakeFraction"/> of them (drawn as for Lazy) the
    /// parameters get seeded Gaussian noise with a standard deviation of 1e-3 of each tensor's RMS.</item>
    /// <item>Stale, Copycat: no training; leaf i is the start state's tensors with step counter start + i, and so is the final state.</item>
    /// <item>WrongData: every step trained honestly, but on the batches of the task with seed + 1.</item>
    /// </list>
    /// A faked step reports a plausible loss: the previous step's, or for step 1 the loss of one honest step from the start
    /// state (measured and discarded). Adversarial runs are deterministic, so they ignore <paramref name="resume"/> and rebuild
    /// the same commitment from the start; their observer gets every step and checkpoints of the states they commit.
    /// </summary>
    /// <param name="fakeFraction">The fraction of steps Lazy and Noisy fake, in [0, 1]; ignored by the other behaviours.</param>
    public static ShardTrajectory Run(TrainingSession session, ShardTask task, StateSnapshot start, WorkerBehavior behavior, double fakeFraction,
                                      IShardObserver? observer, ShardCheckpoint? resume, CancellationToken ct)
    {
        if (!(fakeFraction >= 0 && fakeFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fakeFraction), $"fake fraction {fakeFraction} is outside [0, 1]");
        return behavior switch
        {
            WorkerBehavior.Honest or WorkerBehavior.Refuser => HonestTrajectory.Run(session, task, start, behavior, observer, resume, ct),
            WorkerBehavior.Lazy or WorkerBehavior.Noisy or WorkerBehavior.Stale or WorkerBehavior.WrongData or WorkerBehavior.Copycat =>
                RecordedTrajectory.Run(session, task, start, behavior, fakeFraction, observer, ct),
            _ => throw new ArgumentOutOfRangeException(nameof(behavior), $"unknown worker behavior {behavior}"),
        };
    }

    private protected void CheckLeaf(int localStep)
    {
        if (localStep < 0 || localStep > Task.InnerSteps)
            throw new ArgumentOutOfRangeException(nameof(localStep), $"leaf {localStep} is outside 0..{Task.InnerSteps}");
    }

    /// <summary>An honest run: keeps the states it can restart from and replays the rest on demand.</summary>
    private sealed class HonestTrajectory : ShardTrajectory
    {
        /// <summary>Full states by local step: the start (0), the resume checkpoint, the run's checkpoints and the final state (H).</summary>
        private readonly SortedList<int, StateSnapshot> _bases;

        private HonestTrajectory(ShardTask task, WorkerBehavior behavior, ShardOutcome outcome, SortedList<int, StateSnapshot> bases)
            : base(task, behavior, outcome, new HashSet<int>()) => _bases = bases;

        public override int KeptStates => _bases.Count;

        public static HonestTrajectory Run(TrainingSession session, ShardTask task, StateSnapshot start, WorkerBehavior behavior,
                                           IShardObserver? observer, ShardCheckpoint? resume, CancellationToken ct)
        {
            // Keep states more often than checkpoints are uploaded, so an opening replays only a few steps;
            // the caller's observer still sees exactly the task's checkpoints.
            var every = LocalEvery(task);
            var recorder = new CheckpointRecorder(observer, task.CheckpointEvery);
            var outcome = session.RunShard(task with { CheckpointEvery = every }, start, recorder, resume, ct);
            var bases = new SortedList<int, StateSnapshot> { [0] = start };
            if (resume is not null) bases[resume.LocalStep] = resume.State;
            foreach (var (step, state) in recorder.States) bases[step] = state;
            bases[task.InnerSteps] = outcome.FinalState;
            return new HonestTrajectory(task, behavior, outcome, bases);
        }

        /// <summary>The last state opened: challenges open ascending leaves, often neighbours, so replay continues from it.</summary>
        private (int Step, StateSnapshot State)? _lastOpened;

        public override StateSnapshot OpenState(TrainingSession session, int localStep)
        {
            CheckLeaf(localStep);
            var keys = _bases.Keys;
            var at = 0;
            for (var i = 1; i < keys.Count && keys[i] <= localStep; i++) at = i;
            var (from, state) = (keys[at], _bases.Values[at]);
            if (_lastOpened is { } last && last.Step <= localStep && last.Step > from) (from, state) = last;
            var opened = from == localStep ? state : session.ReplayRange(Task, state, from, localStep);
            _lastOpened = (localStep, opened);
            return opened;
        }

        /// <summary>
        /// How often the worker keeps a state for itself: about H/16 steps, a divisor of the upload interval C so
        /// every upload still happens; C itself when no such divisor is coarse enough to keep memory bounded.
        /// </summary>
        private static int LocalEvery(ShardTask task)
        {
            var target = Math.Max(1, (task.InnerSteps + 15) / 16);
            var every = (int)System.Numerics.BigInteger.GreatestCommonDivisor(task.CheckpointEvery, target);
            return task.InnerSteps / every > 32 ? task.CheckpointEvery : every;
        }
    }

    /// <summary>
    /// Keeps each checkpoint's state (checkpoints arrive on the digest thread) and forwards those at multiples of
    /// <paramref name="uploadEvery"/> — the task's own checkpoints — to the caller's observer.
    /// </summary>
    private sealed class CheckpointRecorder(IShardObserver? inner, int uploadEvery) : IShardObserver
    {
        public ConcurrentDictionary<int, StateSnapshot> States { get; } = new();

        public void OnStep(int localStep, float loss) => inner?.OnStep(localStep, loss);

        public void OnCheckpoint(ShardCheckpoint checkpoint)
        {
            States[checkpoint.LocalStep] = checkpoint.State;
            if (checkpoint.LocalStep % uploadEvery == 0) inner?.OnCheckpoint(checkpoint);
        }
    }

    /// <summary>An adversarial run: every committed state, since they cannot be rebuilt by honest training.</summary>
    private sealed class RecordedTrajectory : ShardTrajectory
    {
        private const double NoiseScale = 1e-3;
        private readonly StateSnapshot[] _states;

        private RecordedTrajectory(ShardTask task, WorkerBehavior behavior, ShardOutcome outcome, IReadOnlySet<int> fakedSteps, StateSnapshot[] states)
            : base(task, behavior, outcome, fakedSteps) => _states = states;

        public override int KeptStates => _states.Length;

        public override StateSnapshot OpenState(TrainingSession session, int localStep)
        {
            CheckLeaf(localStep);
            return _states[localStep];
        }

        public static RecordedTrajectory Run(TrainingSession session, ShardTask task, StateSnapshot start, WorkerBehavior behavior, double fakeFraction,
                                             IShardObserver? observer, CancellationToken ct)
        {
            var h = task.InnerSteps;
            var random = SeededRandom(task, behavior);
            IReadOnlySet<int> faked = behavior is WorkerBehavior.Lazy or WorkerBehavior.Noisy
                ? DrawSteps(random, h, fakeFraction)
                : Enumerable.Range(1, h).ToHashSet();
            var trainTask = behavior == WorkerBehavior.WrongData ? task with { Seed = task.Seed + 1 } : task;
            var states = new StateSnapshot[h + 1];
            var digests = new Sha256Digest[h + 1];
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
                    WorkerBehavior.Lazy when faked.Contains(i) => (Extrapolate(i >= 2 ? states[i - 2] : null, before), i >= 2 ? losses[i - 2] : FirstLoss()),
                    WorkerBehavior.Noisy when faked.Contains(i) => AddNoise(Train(session, trainTask, before, i), random),
                    _ => Train(session, trainTask, before, i),
                };
                digests[i] = states[i].Digest();
                observer?.OnStep(i, losses[i - 1]);
                if (observer is not null && i % task.CheckpointEvery == 0 && i < h)
                    observer.OnCheckpoint(new ShardCheckpoint(task.Round, task.Shard, i, states[i], digests[..(i + 1)], losses[..i]));
            }
            var outcome = new ShardOutcome(states[h], digests, MerkleTree.ComputeRoot(digests), losses);
            return new RecordedTrajectory(task, behavior, outcome, faked, states);
        }

        /// <summary>Step <paramref name="localStep"/> trained honestly on <paramref name="task"/>'s batches from <paramref name="before"/>.</summary>
        private static (StateSnapshot State, float Loss) Train(TrainingSession session, ShardTask task, StateSnapshot before, int localStep)
        {
            var loss = 0f;
            var after = session.ReplayRange(task, before, localStep - 1, localStep, (_, l) => loss = l);
            return (after, loss);
        }

        /// <summary>A generator fixed by the task's seed, round and shard (and the behaviour), the same in every process.</summary>
        private static Random SeededRandom(ShardTask task, WorkerBehavior behavior)
        {
            ReadOnlySpan<long> key = [task.Seed, task.Round, task.Shard, (long)behavior];
            var hash = SHA256.HashData(MemoryMarshal.AsBytes(key));
            return new Random(BitConverter.ToInt32(hash, 0));
        }

        /// <summary>round(<paramref name="fraction"/> · H) distinct steps of 1..H (at least one), by a partial Fisher–Yates shuffle.</summary>
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

        /// <summary>before + (before − previous) on every tensor (before itself when there is no previous state), step counter + 1.</summary>
        private static StateSnapshot Extrapolate(StateSnapshot? previous, StateSnapshot before) => new(
            before.Tensors.Select((t, k) => previous is null ? t : t with
            {
                Values = t.Values.Select((v, j) => v + (v - previous.Tensors[k].Values[j])).ToArray(),
            }),
            before.Step + 1);

        /// <summary>The trained step with Gaussian noise of standard deviation 1e-3 · RMS added to each parameter tensor; the loss kept.</summary>
        private static (StateSnapshot State, float Loss) AddNoise((StateSnapshot State, float Loss) step, Random random) => (new(
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
}
