using System.Runtime.InteropServices;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.Determinism;
using Gensyn.Training.Models;
using Gensyn.Training.Optimizers;
using Gensyn.Training.State;
using TorchSharp;
using static TorchSharp.torch;

namespace Gensyn.Training.Training;

/// <summary>
/// One job's model, inner optimizer and data, bound together in one process. It runs shards
/// (H inner steps from a start state), replays single steps, and evaluates — all through the same
/// step function, which is what makes a replay bit-identical to the original run.
/// Not thread-safe: libtorch dispose scopes are per thread, so use a session from one thread.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    private readonly JobSpec _spec;
    private readonly ITrainingData _train;
    private readonly ITrainingData _test;
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly InnerOptimizer _optimizer;
    private readonly (string Name, Tensor Tensor)[] _live;
    private readonly CanonicalLayout _layout;
    private readonly long[][] _shapes;
    private readonly StateSnapshot _initial;
    private readonly int _threads;

    /// <param name="device">The device the worker offers; the session trains on <see cref="ComputeDevice.TrainsOn"/> (the CPU by default).</param>
    public TrainingSession(JobSpec spec, DatasetSplits data, ComputeDevice? device = null)
    {
        _spec = spec;
        Device = (device ?? ComputeDevice.Cpu).TrainsOn;
        _train = data.Train;
        _test = data.Test;
        var training = spec.RequireTraining();
        _threads = training.Threads;
        TorchThreads.Pin(_threads);
        _model = ModelFactory.Create(spec.Model, data.Train.Shape, training.Seed);
        var parameters = _model.named_parameters().Select(p => ("param/" + p.name, (Tensor)p.parameter)).ToList();
        _optimizer = InnerOptimizer.Create(training.InnerOptimizer, parameters);
        // A module's buffers (a TorchScript module's running statistics) are state the forward pass updates: they travel
        // and average with the parameters, and the inner optimizer leaves them alone. The built-in models have none.
        var buffers = _model.named_buffers().Select(b => ("param/" + b.name, b.buffer));
        _live = parameters.Concat(buffers).Concat(_optimizer.Buffers)
            .OrderBy(e => e.Item1, StringComparer.Ordinal).ToArray();
        _shapes = _live.Select(e => e.Tensor.shape).ToArray();
        _layout = CanonicalLayout.For(_live.Select((e, i) => (e.Name, _shapes[i])).ToList());
        _initial = Snapshot(0);
    }

    /// <summary>The device this session's tensors live on.</summary>
    public ComputeDevice Device { get; }

    /// <summary>Parameters drawn from the job's seed, zero optimizer buffers, step 0.</summary>
    public StateSnapshot InitialState => _initial;

    /// <summary>Bytes of one canonical state (what each committed state's digest hashes).</summary>
    public int StateBytes => _layout.Size;

    /// <summary>
    /// Runs the shard's H inner steps from <paramref name="start"/>, or from <paramref name="resumeFrom"/> when given,
    /// and commits the states after local steps 0, c, 2c, ..., H (<see cref="ShardTask.Commits"/>): only those are
    /// copied and hashed. Checkpoints fall on committed steps (checkpoint-every is a multiple of c).
    /// </summary>
    public ShardOutcome RunShard(ShardTask task, StateSnapshot start, IShardObserver? observer = null,
                                 ShardCheckpoint? resumeFrom = null, CancellationToken cancellation = default)
    {
        if (task.CheckpointEvery < task.InnerSteps && task.CheckpointEvery % task.Every != 0)
            throw new ArgumentException($"checkpoints every {task.CheckpointEvery} steps do not fall on the states " +
                $"committed every {task.Every} steps; make checkpoint-every a multiple of commit-every");
        TorchThreads.Pin(_threads);
        var schedule = new BatchSchedule(task.Slice, task.BatchSize, task.Seed, task.Round, task.Shard);
        var losses = new float[task.InnerSteps];
        using var digests = new DigestPipeline(task.Segments + 1, _layout.NewBuffer);
        int first;
        if (resumeFrom is null)
        {
            Load(start);
            first = 1;
            SubmitDigest(digests, 0, start.Step);
        }
        else
        {
            if (resumeFrom.Round != task.Round || resumeFrom.Shard != task.Shard || resumeFrom.State.Step != start.Step + resumeFrom.LocalStep
                || resumeFrom.LocalStep > task.InnerSteps || !task.Commits(resumeFrom.LocalStep)
                || resumeFrom.Digests.Count != task.LeafOf(resumeFrom.LocalStep) + 1)
                throw new ArgumentException($"checkpoint of round {resumeFrom.Round} shard {resumeFrom.Shard} step {resumeFrom.LocalStep} ({resumeFrom.Digests.Count} committed states) does not belong to round {task.Round} shard {task.Shard} committed every {task.Every} steps");
            Load(resumeFrom.State);
            first = resumeFrom.LocalStep + 1;
            digests.Preset(resumeFrom.Digests);
            for (var i = 0; i < resumeFrom.LocalStep && i < resumeFrom.Losses.Count; i++) losses[i] = resumeFrom.Losses[i];
        }

        for (var i = first; i <= task.InnerSteps; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var step = start.Step + i;
            losses[i - 1] = TrainStep(schedule, i, step);
            if (task.Commits(i))
            {
                Action<Sha256Digest[], byte[]>? checkpoint = null;
                if (observer is not null && i % task.CheckpointEvery == 0 && i < task.InnerSteps)
                {
                    // Taken from the digest buffer on the digest thread: the training thread copies a committed state once.
                    var (localStep, lossesSoFar) = (i, losses[..i]);
                    checkpoint = (known, canonical) => observer.OnCheckpoint(
                        new ShardCheckpoint(task.Round, task.Shard, localStep, FromCanonical(canonical, step, known[^1]), known, lossesSoFar));
                }
                SubmitDigest(digests, task.LeafOf(i), step, checkpoint);
            }
            observer?.OnStep(i, losses[i - 1]);
        }
        var all = digests.Complete();
        var end = Snapshot(start.Step + task.InnerSteps);
        end.Remember(all[^1]);
        return new ShardOutcome(end, all, Verification.MerkleTree.ComputeRoot(all), losses);
    }

    /// <summary>
    /// Recomputes segment <paramref name="segment"/> (1..<see cref="ShardTask.Segments"/>) of a shard from the
    /// committed state before it (leaf segment − 1), returning the state it commits as leaf <paramref name="segment"/>.
    /// </summary>
    public StateSnapshot ReplaySegment(ShardTask task, StateSnapshot before, int segment)
    {
        if (segment < 1 || segment > task.Segments)
            throw new ArgumentOutOfRangeException(nameof(segment), $"segment {segment} is outside 1..{task.Segments}");
        return ReplayRange(task, before, task.LeafStep(segment - 1), task.LeafStep(segment));
    }

    /// <summary>
    /// Recomputes inner step <paramref name="localStep"/> (1-based) of a shard from the state before it,
    /// returning the state after it — bit-identical to what <see cref="RunShard"/> produced.
    /// </summary>
    public StateSnapshot ReplayStep(ShardTask task, StateSnapshot before, int localStep)
    {
        if (localStep < 1 || localStep > task.InnerSteps)
            throw new ArgumentOutOfRangeException(nameof(localStep), $"step {localStep} is outside 1..{task.InnerSteps}");
        return ReplayRange(task, before, localStep - 1, localStep);
    }

    /// <summary>
    /// Recomputes inner steps <paramref name="fromLocalStep"/> + 1 .. <paramref name="toLocalStep"/> of a shard
    /// from <paramref name="from"/>, the state after local step <paramref name="fromLocalStep"/> (0 = the start
    /// state), returning the state after <paramref name="toLocalStep"/> — bit-identical to what <see cref="RunShard"/>
    /// produced. The state is loaded once and the steps run through the same step function as RunShard, so a worker
    /// can rebuild any state it committed from its nearest checkpoint instead of keeping every state.
    /// <paramref name="onStep"/>, when given, receives each replayed step's local index and training loss.
    /// </summary>
    public StateSnapshot ReplayRange(ShardTask task, StateSnapshot from, int fromLocalStep, int toLocalStep, Action<int, float>? onStep = null)
    {
        if (fromLocalStep < 0 || toLocalStep < fromLocalStep || toLocalStep > task.InnerSteps)
            throw new ArgumentOutOfRangeException(nameof(toLocalStep), $"steps {fromLocalStep}..{toLocalStep} are not a range within 0..{task.InnerSteps}");
        var schedule = new BatchSchedule(task.Slice, task.BatchSize, task.Seed, task.Round, task.Shard);
        TorchThreads.Pin(_threads);
        Load(from);
        var startStep = from.Step - fromLocalStep;
        for (var i = fromLocalStep + 1; i <= toLocalStep; i++)
        {
            var loss = TrainStep(schedule, i, startStep + i);
            onStep?.Invoke(i, loss);
        }
        return Snapshot(startStep + toLocalStep);
    }

    /// <summary>Test-set loss and accuracy of the parameters in <paramref name="state"/>.</summary>
    public Evaluation Evaluate(StateSnapshot state, int batchSize = 500)
    {
        TorchThreads.Pin(_threads);
        LoadParameters(state);
        double lossSum = 0;
        long correct = 0, count = 0;
        using var _ = torch.no_grad();
        foreach (var batch in _test.EvaluationBatches(batchSize))
        {
            using var scope = torch.NewDisposeScope();
            var (x, y) = _test.Batch(batch);
            var (logits, target) = PerPrediction(_model.forward(x), y);
            lossSum += TrainingLoss.Of(_spec.Model.Loss, logits, target, sum: true).item<float>();
            correct += TrainingLoss.Predicted(logits).eq(target).sum().item<long>();
            count += target.shape[0];
        }
        var loss = lossSum / Math.Max(count, 1);
        return new Evaluation(loss, (double)correct / Math.Max(count, 1), _train.Shape.IsSequence ? Math.Exp(loss) : null, count);
    }

    private float TrainStep(BatchSchedule schedule, int localStep, long optimizerStep)
    {
        using var scope = torch.NewDisposeScope();
        var (x, y) = _train.Batch(schedule.IndicesForStep(localStep - 1));
        _model.zero_grad();
        var (logits, target) = PerPrediction(_model.forward(x), y);
        var loss = TrainingLoss.Of(_spec.Model.Loss, logits, target);
        loss.backward();
        _optimizer.Step(optimizerStep);
        return loss.item<float>();
    }

    /// <summary>
    /// Logits as [predictions, classes] and targets as [predictions]: one row per example for a
    /// classifier, one per position for a language model. A view for classifiers (no copy).
    /// </summary>
    public static (Tensor Logits, Tensor Target) PerPrediction(Tensor logits, Tensor target) =>
        (logits.reshape(-1, logits.shape[^1]), target.reshape(-1));

    private void SubmitDigest(DigestPipeline pipeline, int index, long step, Action<Sha256Digest[], byte[]>? then = null)
    {
        var buffer = pipeline.Rent();
        for (var i = 0; i < _live.Length; i++)
        {
            var (offset, length) = _layout.ValueRange(i);
            StreamingCopy.Copy(_live[i].Tensor.bytes, buffer.AsSpan(offset, length));
        }
        CanonicalLayout.WriteStep(buffer, step);
        pipeline.Submit(index, buffer, then);
    }

    private StateSnapshot Snapshot(long step) => new(
        _live.Select((e, i) => new StateTensor(e.Name, _shapes[i], MemoryMarshal.Cast<byte, float>(e.Tensor.bytes).ToArray())),
        step);

    /// <summary>The state held in a canonical buffer whose digest is <paramref name="digest"/> (known, so not recomputed).</summary>
    private StateSnapshot FromCanonical(byte[] canonical, long step, Sha256Digest digest)
    {
        var state = new StateSnapshot(_live.Select((e, i) =>
        {
            var (offset, length) = _layout.ValueRange(i);
            return new StateTensor(e.Name, _shapes[i], MemoryMarshal.Cast<byte, float>(canonical.AsSpan(offset, length)).ToArray());
        }), step);
        state.Remember(digest);
        return state;
    }

    /// <summary>Copies a full state (parameters and optimizer buffers) into the live tensors.</summary>
    private void Load(StateSnapshot state)
    {
        if (state.Tensors.Count != _live.Length)
            throw new ArgumentException($"state has {state.Tensors.Count} tensors, this {_spec.Model.Kind} model needs {_live.Length}; it belongs to another job");
        for (var i = 0; i < _live.Length; i++) Copy(state.Tensors[i], _live[i]);
    }

    private void LoadParameters(StateSnapshot state)
    {
        foreach (var entry in _live.Where(e => e.Name.StartsWith("param/", StringComparison.Ordinal)))
            Copy(state.Find(entry.Name) ?? throw new ArgumentException($"state lacks {entry.Name}; it belongs to another job"), entry);
    }

    private static void Copy(StateTensor source, (string Name, Tensor Tensor) target)
    {
        if (source.Name != target.Name || !source.Shape.SequenceEqual(target.Tensor.shape))
            throw new ArgumentException($"state tensor {source.Name} [{string.Join(", ", source.Shape)}] does not fit {target.Name} [{string.Join(", ", target.Tensor.shape)}]; it belongs to another job");
        using var _ = torch.no_grad();
        target.Tensor.bytes = MemoryMarshal.AsBytes(source.Values.AsSpan());
    }

    /// <summary>A shard's start state: the global parameters with the shard's own optimizer buffers.</summary>
    public static StateSnapshot ShardStart(StateSnapshot global, StateSnapshot shardOptimizer, long step) => new(
        global.WithPrefix("param/").Concat(shardOptimizer.WithPrefix("opt/")), step);

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }
}
