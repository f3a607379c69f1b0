using System.Collections.Concurrent;
using Gensyn.Contracts;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Training.Verification;

/// <summary>
/// What a worker keeps after a shard so that it can answer spot-check challenges later: the outcome it delivered
/// (final state, the committed digests — leaves 0..H / c, the states after local steps 0, c, ..., H —, Merkle root,
/// losses) and a way to open any committed leaf in full.
/// <para>
/// An honest trajectory (<see cref="Run"/>) keeps only the
/// shard's checkpoints (every C steps, and committed states in between: see <see cref="LocalStateEvery"/>), the start
/// state and a resume checkpoint if it had one, and rebuilds any other state with <see cref="TrainingSession.ReplayRange"/> from the nearest one below — so memory grows with H / C, not H.
/// The rehearsed attacks (Gensyn.Testing) derive their own trajectories, which keep every state they committed: those
/// states are not reproducible by training, which is the point of catching them.
/// </para>
/// Opening uses the job's session and so shares its rule: one thread at a time, and it overwrites the live tensors.
/// </summary>
public abstract class ShardTrajectory
{
    private MerkleTree? _tree;

    /// <summary>A trajectory of <paramref name="task"/> that delivered <paramref name="outcome"/>.</summary>
    protected ShardTrajectory(ShardTask task, ShardOutcome outcome)
    {
        Task = task;
        Outcome = outcome;
    }

    public ShardTask Task { get; }

    /// <summary>What the worker delivered: final state, committed digests (leaves 0..Segments), their root, and the losses it reported.</summary>
    public ShardOutcome Outcome { get; }

    /// <summary>
    /// The steps (1..H) whose committed state is not the honest step from the committed state before it; empty when
    /// honest (only a rehearsed attack, in Gensyn.Testing, commits others).
    /// </summary>
    public virtual IReadOnlySet<int> FakedSteps => NoSteps;

    private static readonly IReadOnlySet<int> NoSteps = new HashSet<int>();

    /// <summary>How many full states the trajectory holds in memory.</summary>
    public abstract int KeptStates { get; }

    /// <summary>The state after local step <paramref name="localStep"/> (0..H) of this trajectory.</summary>
    public abstract StateSnapshot OpenState(TrainingSession session, int localStep);

    /// <summary>
    /// The state the worker committed as leaf <paramref name="leaf"/> (0..Segments), the state after local step
    /// <see cref="ShardTask.LeafStep"/>(leaf); its digest is <c>Outcome.StepDigests[leaf]</c>.
    /// </summary>
    public StateSnapshot OpenLeaf(TrainingSession session, int leaf)
    {
        if (leaf < 0 || leaf > Task.Segments)
            throw new ArgumentOutOfRangeException(nameof(leaf), $"leaf {leaf} is outside 0..{Task.Segments}");
        return OpenState(session, Task.LeafStep(leaf));
    }

    /// <summary>
    /// The worker's answer to a challenge of segment <paramref name="segment"/> (1..Segments; the step itself when
    /// c = 1): the committed state before it with both leaves' proofs, and the committed state after it too when
    /// <paramref name="withAfter"/> (for cross-class checks).
    /// </summary>
    public StepOpening Open(TrainingSession session, int segment, bool withAfter)
    {
        if (segment < 1 || segment > Task.Segments)
            throw new ArgumentOutOfRangeException(nameof(segment), $"segment {segment} is outside 1..{Task.Segments}");
        _tree ??= new MerkleTree(Outcome.StepDigests);
        var before = OpenLeaf(session, segment - 1);
        var after = withAfter ? OpenLeaf(session, segment) : null;
        return StepOpening.Create(segment, _tree, Outcome.StepDigests, before, after);
    }

    /// <summary>The segments (1..Segments) that hold a faked step (<see cref="FakedSteps"/>): a challenge of one catches it.</summary>
    public IReadOnlySet<int> FakedSegments => FakedSteps.Select(Task.SegmentOf).ToHashSet();

    /// <summary>
    /// Trains shard <paramref name="task"/> from <paramref name="start"/> honestly (<see cref="TrainingSession.RunShard"/>),
    /// from <paramref name="resume"/> when given (steps below the resume point are then rebuilt from
    /// <paramref name="start"/> when opened). The observer gets every step and the task's checkpoints.
    /// </summary>
    public static ShardTrajectory Run(TrainingSession session, ShardTask task, StateSnapshot start, IShardObserver? observer,
                                      ShardCheckpoint? resume, CancellationToken ct) =>
        HonestTrajectory.Train(session, task, start, observer, resume, ct);

    /// <summary>Refuses a leaf outside 0..H.</summary>
    protected void CheckLeaf(int localStep)
    {
        if (localStep < 0 || localStep > Task.InnerSteps)
            throw new ArgumentOutOfRangeException(nameof(localStep), $"leaf {localStep} is outside 0..{Task.InnerSteps}");
    }

    /// <summary>An honest run: keeps the states it can restart from and replays the rest on demand.</summary>
    private sealed class HonestTrajectory : ShardTrajectory
    {
        /// <summary>Full states by local step: the start (0), the resume checkpoint, the run's checkpoints and the final state (H).</summary>
        private readonly SortedList<int, StateSnapshot> _bases;

        private HonestTrajectory(ShardTask task, ShardOutcome outcome, SortedList<int, StateSnapshot> bases)
            : base(task, outcome) => _bases = bases;

        public override int KeptStates => _bases.Count;

        public static HonestTrajectory Train(TrainingSession session, ShardTask task, StateSnapshot start,
                                           IShardObserver? observer, ShardCheckpoint? resume, CancellationToken ct)
        {
            // Keep states more often than checkpoints are uploaded, so an opening replays only a few steps;
            // the caller's observer still sees exactly the task's checkpoints.
            var every = LocalStateEvery(task.InnerSteps, task.CheckpointEvery, task.Every);
            var recorder = new CheckpointRecorder(observer, task.CheckpointEvery);
            var outcome = session.RunShard(task with { CheckpointEvery = every }, start, recorder, resume, ct);
            var bases = new SortedList<int, StateSnapshot> { [0] = start };
            if (resume is not null) bases[resume.LocalStep] = resume.State;
            foreach (var (step, state) in recorder.States) bases[step] = state;
            bases[task.InnerSteps] = outcome.FinalState;
            return new HonestTrajectory(task, outcome, bases);
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
    }

    /// <summary>
    /// How often an honest worker keeps a state for itself: the largest divisor of the upload interval C (so every
    /// upload still happens) that is at most about H/16 steps, so an opening replays only a few steps; when that would
    /// keep more than 32 states, the smallest divisor of C that keeps at most 32, or C (memory stays bounded). (The gcd
    /// of C and H/16 used before often fell back to C: C = 50, H = 100 gives gcd(50, 7) = 1, and each opening replayed
    /// up to C - 1 steps.)
    /// </summary>
    public static int LocalStateEvery(int innerSteps, int checkpointEvery) => LocalStateEvery(innerSteps, checkpointEvery, 1);

    /// <summary>
    /// As <see cref="LocalStateEvery(int, int)"/> for a shard that commits every <paramref name="commitEvery"/> steps:
    /// kept states are committed states (the only ones an opening asks for), so the interval is c times the one chosen
    /// in units of c (segments for steps, C / c for the upload interval, or the whole shard when no upload falls inside).
    /// </summary>
    public static int LocalStateEvery(int innerSteps, int checkpointEvery, int commitEvery)
    {
        var c = Math.Clamp(commitEvery, 1, Math.Max(1, innerSteps));
        if (c > 1)
        {
            var segments = (innerSteps + c - 1) / c;
            var uploads = checkpointEvery < innerSteps && checkpointEvery % c == 0 ? checkpointEvery / c : segments;
            return c * LocalStateEvery(segments, uploads, 1);
        }
        var target = Math.Max(1, (innerSteps + 15) / 16);
        var every = Enumerable.Range(1, Math.Min(target, checkpointEvery)).Last(d => checkpointEvery % d == 0);
        // Too many states to keep: the next divisor of C that keeps at most 32 (C itself at the latest).
        return innerSteps / every <= 32 ? every
            : Enumerable.Range(every, checkpointEvery - every + 1)
                .First(d => checkpointEvery % d == 0 && (innerSteps / d <= 32 || d == checkpointEvery));
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
}
