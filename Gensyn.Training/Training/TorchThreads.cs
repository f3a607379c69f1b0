using TorchSharp;

namespace Gensyn.Training.Training;

/// <summary>
/// libtorch's thread count is one setting for the process, and a result is bit-identical only at the count it was made
/// with. A thread that holds the sessions of several jobs (a verifier's) builds one at 2 threads after another at 1,
/// so every session pins its own count before it computes, not only when it is built.
/// </summary>
public static class TorchThreads
{
    /// <summary>Sets libtorch's thread count to <paramref name="threads"/> unless it is that already.</summary>
    public static void Pin(int threads)
    {
        if (torch.get_num_threads() != threads) torch.set_num_threads(threads);
    }
}
