using System.Runtime.InteropServices;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.Models;
using Gensyn.Training.State;
using Gensyn.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gensyn.Training.Inference;

/// <summary>The items of one inference shard: a contiguous run of the test split, in fixed batches.</summary>
public sealed record InferenceShard(int Shard, long ItemStart, int Count, int BatchSize)
{
    public int Batches => Count == 0 ? 0 : (Count + BatchSize - 1) / BatchSize;

    /// <summary>The batches of the largest of <paramref name="shards"/> shards over <paramref name="items"/> items.</summary>
    public static int MostBatches(long items, int shards, int batchSize) => For(items, shards, shards - 1, batchSize).Batches;

    /// <summary>How <paramref name="items"/> split into <paramref name="shards"/> contiguous shards (sizes differ by at most one).</summary>
    public static InferenceShard For(long items, int shards, int shard, int batchSize)
    {
        var start = items * shard / shards;
        var end = items * (shard + 1) / shards;
        return new InferenceShard(shard, start, (int)(end - start), batchSize);
    }
}

/// <summary>A worker's run of one inference shard: its predictions, their Merkle root, and each batch's loss (NaN without labels).</summary>
public sealed record InferenceOutcome(Predictions Predictions, Sha256Digest Root, IReadOnlyList<float> Losses);

/// <summary>
/// A trained classifier and a dataset's test split, bound together in one process: it runs an inference shard batch
/// by batch, and recomputes any one batch on its own — through the same forward pass with the same batch, which is
/// what makes a verifier's recomputation bit-identical to the worker's (on the same numeric class).
/// Not thread-safe: use it from one thread.
/// </summary>
public sealed class InferenceSession : IDisposable
{
    private readonly JobSpec _spec;
    private readonly ITrainingData _items;
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly (string Name, Tensor Tensor)[] _parameters;
    private Sha256Digest? _loaded;

    /// <param name="device">The device the worker offers; the session runs on <see cref="ComputeDevice.TrainsOn"/> (the CPU by default).</param>
    public InferenceSession(JobSpec spec, DatasetSplits data, ComputeDevice? device = null)
    {
        if (!spec.IsInference) throw new ArgumentException($"job {spec.Name} is not an inference job");
        _spec = spec;
        Device = (device ?? ComputeDevice.Cpu).TrainsOn;
        _items = data.Test;
        TorchThreads.Pin(spec.Threads);
        _model = ModelFactory.Create(spec.Model, data.Train.Shape, 0);
        _model.eval();
        _parameters = _model.named_parameters().Select(p => ("param/" + p.name, (Tensor)p.parameter))
            .Concat(_model.named_buffers().Select(b => ("param/" + b.name, b.buffer)))
            .OrderBy(p => p.Item1, StringComparer.Ordinal).ToArray();
    }

    /// <summary>The device this session's tensors live on.</summary>
    public ComputeDevice Device { get; }

    /// <summary>The items the job predicts: the dataset's test split.</summary>
    public long Items => _items.Count;

    public int Classes => _items.Shape.Classes;

    public InferenceShard Shard(int shard) => InferenceShard.For(Items, _spec.Shards, shard, _spec.BatchSize);

    /// <summary>
    /// The trained parameters in a safetensors model file (as `gensyn train --out` writes it), checked against this job's
    /// model: every parameter present with its shape, nothing else. The state is parameters only, at step 0.
    /// </summary>
    public StateSnapshot LoadWeights(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: weights file not found; give inference.weights a file written by `gensyn train --out` or `gensyn result --out`");
        return LoadWeights(File.ReadAllBytes(path), path);
    }

    /// <summary>As <see cref="LoadWeights(string)"/>, from the file's bytes (a blob the requester uploaded); <paramref name="path"/> names them in messages.</summary>
    public StateSnapshot LoadWeights(byte[] bytes, string path)
    {
        var (tensors, _) = SafeTensors.Deserialize(bytes, path);
        var byName = tensors.ToDictionary(t => "param/" + t.Name, StringComparer.Ordinal);
        foreach (var (name, tensor) in _parameters)
        {
            if (!byName.TryGetValue(name, out var found))
                throw new CheckpointException($"{path} lacks tensor '{name["param/".Length..]}' of this {_spec.Model.Kind.ToString().ToLowerInvariant()} model; the weights belong to another model spec");
            if (!found.Shape.SequenceEqual(tensor.shape))
                throw new CheckpointException($"{path}: tensor '{found.Name}' is [{string.Join(", ", found.Shape)}], the model's is [{string.Join(", ", tensor.shape)}]; the weights belong to another model spec");
        }
        var extra = byName.Keys.Except(_parameters.Select(p => p.Name)).FirstOrDefault();
        if (extra is not null) throw new CheckpointException($"{path} has tensor '{extra["param/".Length..]}', which this model does not; the weights belong to another model spec");
        return new StateSnapshot(_parameters.Select(p => byName[p.Name] with { Name = p.Name }), 0);
    }

    /// <summary>Runs every batch of <paramref name="shard"/>; <paramref name="onBatch"/> hears each batch's index (1-based) and loss.</summary>
    public InferenceOutcome RunShard(StateSnapshot weights, int shard, Action<int, float>? onBatch = null, CancellationToken cancellation = default,
                                     Func<int, bool>? fake = null)
    {
        var plan = Shard(shard);
        var logits = new float[(long)plan.Count * Classes];
        var losses = new float[plan.Batches];
        Load(weights);
        for (var b = 0; b < plan.Batches; b++)
        {
            cancellation.ThrowIfCancellationRequested();
            var first = b * plan.BatchSize;
            var count = Math.Min(plan.BatchSize, plan.Count - first);
            var target = logits.AsSpan(first * Classes, count * Classes);
            if (fake?.Invoke(b) == true)
            {
                // A cheater's batch: plausible-looking numbers, no forward pass.
                for (var i = 0; i < target.Length; i++) target[i] = (i % Classes) == 0 ? 1f : 0f;
                losses[b] = float.NaN;
            }
            else losses[b] = Forward(plan.ItemStart + first, count, target);
            onBatch?.Invoke(b + 1, losses[b]);
        }
        var predictions = new Predictions(shard, plan.ItemStart, plan.Count, Classes, plan.BatchSize, logits);
        return new InferenceOutcome(predictions, predictions.Root(), losses);
    }

    /// <summary>Recomputes batch <paramref name="batch"/> (0-based) of <paramref name="shard"/>: its logits, as the worker's run gives them.</summary>
    public float[] BatchLogits(StateSnapshot weights, int shard, int batch)
    {
        var plan = Shard(shard);
        if (batch < 0 || batch >= plan.Batches) throw new ArgumentOutOfRangeException(nameof(batch), $"batch {batch} is outside 0..{plan.Batches - 1}");
        Load(weights);
        var first = batch * plan.BatchSize;
        var count = Math.Min(plan.BatchSize, plan.Count - first);
        var logits = new float[count * Classes];
        Forward(plan.ItemStart + first, count, logits);
        return logits;
    }

    /// <summary>The test split's labels of items <paramref name="start"/> .. + <paramref name="count"/>.</summary>
    public long[] Labels(long start, int count)
    {
        var indices = Enumerable.Range(0, count).Select(i => start + i).ToArray();
        using var scope = torch.NewDisposeScope();
        var (_, y) = _items.Batch(indices);
        return y.data<long>().ToArray();
    }

    private float Forward(long firstItem, int count, Span<float> into)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var indices = new long[count];
        for (var i = 0; i < count; i++) indices[i] = firstItem + i;
        var (x, y) = _items.Batch(indices);
        var output = _model.forward(x).contiguous();
        if (output.dim() != 2 || output.shape[1] != Classes)
            throw new DatasetException($"model: the forward pass returned [{string.Join(", ", output.shape)}] for {count} items; " +
                                       $"an inference job's model must return [items, {Classes}], one output per class of the dataset");
        MemoryMarshal.Cast<byte, float>(output.bytes).CopyTo(into);
        return TrainingLoss.Of(_spec.Model.Loss, output, y).item<float>();
    }

    private void Load(StateSnapshot weights)
    {
        // Every forward pass loads first: the session's thread count, whatever another session set since.
        TorchThreads.Pin(_spec.Threads);
        var digest = weights.Digest();
        if (_loaded == digest) return;
        if (weights.Tensors.Count != _parameters.Length)
            throw new ArgumentException($"the weights have {weights.Tensors.Count} tensors, this model needs {_parameters.Length}; they belong to another job");
        using var _ = torch.no_grad();
        for (var i = 0; i < _parameters.Length; i++)
        {
            var (source, (name, tensor)) = (weights.Tensors[i], _parameters[i]);
            if (source.Name != name || !source.Shape.SequenceEqual(tensor.shape))
                throw new ArgumentException($"weights tensor {source.Name} [{string.Join(", ", source.Shape)}] does not fit {name} [{string.Join(", ", tensor.shape)}]");
            tensor.bytes = MemoryMarshal.AsBytes(source.Values.AsSpan());
        }
        _loaded = digest;
    }

    public void Dispose() => _model.Dispose();
}
