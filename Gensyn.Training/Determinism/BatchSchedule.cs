namespace Gensyn.Training.Determinism;

/// <summary>
/// Which examples a shard trains on at each inner step. The examples of a shard's data slice are
/// visited in epochs; each epoch is a fresh keyed permutation of the slice, keyed by
/// (seed, round, shard, epoch). Step s of a round uses positions s·B … s·B+B−1 of that sequence,
/// so the batch of any step is a pure function of (seed, round, shard, step).
/// </summary>
public sealed class BatchSchedule
{
    private readonly DataSlice _slice;
    private readonly int _batchSize;
    private readonly long _seed;
    private readonly int _round;
    private readonly int _shard;
    private KeyedPermutation? _cached;
    private long _cachedEpoch = -1;

    public BatchSchedule(DataSlice slice, int batchSize, long seed, int round, int shard)
    {
        if (slice.Count < 1) throw new ArgumentException("a shard's data slice is empty; use fewer shards or more data");
        _slice = slice;
        _batchSize = batchSize;
        _seed = seed;
        _round = round;
        _shard = shard;
    }

    /// <summary>The dataset indices of the batch at inner step <paramref name="step"/> (0-based).</summary>
    public long[] IndicesForStep(long step)
    {
        var result = new long[_batchSize];
        for (var j = 0; j < _batchSize; j++)
        {
            var position = step * _batchSize + j;
            var epoch = position / _slice.Count;
            if (epoch != _cachedEpoch)
            {
                _cached = new KeyedPermutation(_slice.Count, CounterRng.Key(_seed, _round, _shard, epoch));
                _cachedEpoch = epoch;
            }
            result[j] = _slice.Start + _cached![position % _slice.Count];
        }
        return result;
    }
}

/// <summary>A contiguous range of a dataset's training examples.</summary>
public readonly record struct DataSlice(long Start, long Count)
{
    /// <summary>Shard <paramref name="shard"/> of <paramref name="shards"/> equal contiguous parts of <paramref name="total"/> examples.</summary>
    public static DataSlice ForShard(long total, int shard, int shards)
    {
        var start = total * shard / shards;
        var end = total * (shard + 1) / shards;
        return new DataSlice(start, end - start);
    }
}
