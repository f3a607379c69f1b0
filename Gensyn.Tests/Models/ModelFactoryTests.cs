using System.Security.Cryptography;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.Models;

namespace Gensyn.Tests.Models;

/// <summary>
/// Initial weights are part of the determinism contract: the seed alone decides them, even when other threads of the
/// process build models at the same moment (a coordinator computes a job's first state while its verifiers load other
/// jobs' sessions; libtorch's default generator is one for the whole process).
/// </summary>
public class ModelFactoryTests
{
    private static readonly ModelSpec Mlp = new(ModelKind.Mlp, [64, 32], [], 0, 0, 0, 0);
    private static readonly DataShape Shape = new([784], 10, false);

    private static string WeightsOf(long seed)
    {
        using var model = ModelFactory.Create(Mlp, Shape, seed);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (_, parameter) in model.named_parameters())
            hash.AppendData(parameter.data<float>().ToArray().SelectMany(BitConverter.GetBytes).ToArray());
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    [Fact]
    public void Models_built_at_once_on_many_threads_get_the_weights_their_seed_gives_alone()
    {
        var seeds = Enumerable.Range(1, 8).Select(i => (long)i).ToArray();
        var alone = seeds.ToDictionary(s => s, WeightsOf);
        Assert.Equal(seeds.Length, alone.Values.Distinct().Count());

        for (var attempt = 0; attempt < 5; attempt++)
        {
            var together = new System.Collections.Concurrent.ConcurrentDictionary<long, string>();
            var threads = seeds.Select(s => new Thread(() => together[s] = WeightsOf(s))).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.All(seeds, s => Assert.Equal(alone[s], together[s]));
        }
    }
}
