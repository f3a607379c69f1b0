using System.Collections.Concurrent;
using Gensyn.Contracts;
using Gensyn.Training.State;

namespace Gensyn.Training.Training;

/// <summary>
/// Digests state copies on a background thread while training goes on, so per-step digests cost the
/// training thread only a memory copy. Each digest hashes its 1 MiB chunks on <c>parallelism</c> threads
/// (<see cref="StateDigest"/>). Buffers are recycled; at most <c>capacity</c> wait in line.
/// </summary>
internal sealed class DigestPipeline : IDisposable
{
    private readonly BlockingCollection<(int Index, byte[] Buffer, Action<Sha256Digest[], byte[]>? Then)> _queue;
    private readonly ConcurrentBag<byte[]> _free = [];
    private readonly Func<byte[]> _newBuffer;
    private readonly Sha256Digest[] _digests;
    private readonly Thread _worker;
    private readonly int _parallelism;
    private Exception? _failure;

    /// <param name="parallelism">
    /// Threads hashing one state's chunks; null: the cores libtorch's threads leave free (the pipeline is
    /// created on the training thread).
    /// </param>
    public DigestPipeline(int count, Func<byte[]> newBuffer, int capacity = 4, int? parallelism = null)
    {
        _parallelism = parallelism ?? StateDigest.SpareCores(TorchSharp.torch.get_num_threads());
        _digests = new Sha256Digest[count];
        _newBuffer = newBuffer;
        _queue = new BlockingCollection<(int, byte[], Action<Sha256Digest[], byte[]>?)>(capacity);
        _worker = new Thread(Work) { IsBackground = true, Name = "state-digests" };
        _worker.Start();
    }

    /// <summary>Digests known before the pipeline started (a resumed shard's earlier steps).</summary>
    public void Preset(IReadOnlyList<Sha256Digest> digests)
    {
        for (var i = 0; i < digests.Count; i++) _digests[i] = digests[i];
    }

    public byte[] Rent() => _free.TryTake(out var buffer) ? buffer : _newBuffer();

    /// <summary>
    /// Queues a filled buffer; indices must arrive in increasing order. <paramref name="then"/>, if given,
    /// runs on the digest thread with the digests 0..index and the buffer once this one is known (before the
    /// buffer is reused), so that work which needs them (a checkpoint) never makes the training thread wait.
    /// </summary>
    public void Submit(int index, byte[] buffer, Action<Sha256Digest[], byte[]>? then = null) => _queue.Add((index, buffer, then));

    public Sha256Digest[] Complete()
    {
        _queue.CompleteAdding();
        _worker.Join();
        if (_failure is not null) throw new InvalidOperationException("hashing a training state failed", _failure);
        return _digests;
    }

    private void Work()
    {
        try
        {
            foreach (var (index, buffer, then) in _queue.GetConsumingEnumerable())
            {
                _digests[index] = StateDigest.Of(buffer, _parallelism);
                then?.Invoke(_digests[..(index + 1)], buffer);
                _free.Add(buffer);
            }
        }
        catch (Exception e)
        {
            _failure = e;
            // Keep taking buffers so that training never blocks on a full line; Complete reports the failure.
            foreach (var _ in _queue.GetConsumingEnumerable()) { }
        }
    }

    public void Dispose()
    {
        if (!_queue.IsAddingCompleted) _queue.CompleteAdding();
        _worker.Join();
        _queue.Dispose();
    }
}
