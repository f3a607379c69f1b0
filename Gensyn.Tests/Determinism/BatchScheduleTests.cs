using Gensyn.Training.Determinism;

namespace Gensyn.Tests.Determinism;

public class BatchScheduleTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(1000)]
    [InlineData(15_000)]
    public void Keyed_permutation_visits_every_index_exactly_once(int n)
    {
        var permutation = new KeyedPermutation(n, CounterRng.Key(42, 1));
        var seen = Enumerable.Range(0, n).Select(i => permutation[i]).ToHashSet();
        Assert.Equal(n, seen.Count);
        Assert.True(seen.All(v => v >= 0 && v < n));
    }

    [Fact]
    public void Different_keys_give_different_orders()
    {
        var a = new KeyedPermutation(1000, CounterRng.Key(42, 0, 0, 0));
        var b = new KeyedPermutation(1000, CounterRng.Key(42, 0, 1, 0));
        Assert.NotEqual(Enumerable.Range(0, 1000).Select(i => a[i]), Enumerable.Range(0, 1000).Select(i => b[i]));
    }

    [Fact]
    public void Any_steps_batch_can_be_derived_alone_and_matches_the_sequential_one()
    {
        var slice = new DataSlice(100, 250);
        var sequential = new BatchSchedule(slice, 32, seed: 9, round: 3, shard: 1);
        var batches = Enumerable.Range(0, 40).Select(s => sequential.IndicesForStep(s)).ToList();
        foreach (var step in new[] { 37, 0, 12, 39, 8 })
            Assert.Equal(batches[step], new BatchSchedule(slice, 32, 9, 3, 1).IndicesForStep(step));
    }

    [Fact]
    public void Each_epoch_covers_the_shards_slice_without_repeats()
    {
        var slice = new DataSlice(1000, 96);
        var schedule = new BatchSchedule(slice, 16, seed: 1, round: 0, shard: 2);
        var epoch = Enumerable.Range(0, 6).SelectMany(s => schedule.IndicesForStep(s)).ToList();
        Assert.Equal(Enumerable.Range(1000, 96).Select(i => (long)i).Order(), epoch.Order());
    }

    [Fact]
    public void Rounds_and_shards_see_different_batches()
    {
        var slice = new DataSlice(0, 10_000);
        var first = new BatchSchedule(slice, 8, 5, 0, 0).IndicesForStep(0);
        Assert.NotEqual(first, new BatchSchedule(slice, 8, 5, 1, 0).IndicesForStep(0));
        Assert.NotEqual(first, new BatchSchedule(slice, 8, 6, 0, 0).IndicesForStep(0));
    }

    [Fact]
    public void Shard_slices_partition_the_data()
    {
        var slices = Enumerable.Range(0, 7).Select(k => DataSlice.ForShard(1003, k, 7)).ToList();
        Assert.Equal(0, slices[0].Start);
        for (var k = 1; k < 7; k++) Assert.Equal(slices[k - 1].Start + slices[k - 1].Count, slices[k].Start);
        Assert.Equal(1003, slices.Sum(s => s.Count));
    }
}
