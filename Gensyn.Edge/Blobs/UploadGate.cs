using Gensyn.Contracts;
using Grpc.Core;

namespace Gensyn.Edge.Blobs;

/// <summary>
/// One upload of a blob at a time: honest workers that computed the same state (replicas, or answers to challenges
/// on the same round) upload the same blob at once, and the second must wait for the first's partial file rather
/// than fail on it. It waits at most as long as an upload may stay idle; then it is told to try again.
/// </summary>
public static class UploadGate
{
    private static readonly Dictionary<Sha256Digest, (SemaphoreSlim Gate, int Users)> Gates = [];

    /// <summary>Enters <paramref name="hash"/>'s gate; dispose the result to leave it.</summary>
    /// <exception cref="RpcException">Another upload of the blob held it for longer than
    /// <paramref name="wait"/>.</exception>
    public static async Task<IDisposable> EnterAsync(Sha256Digest hash, TimeSpan wait, CancellationToken cancel)
    {
        SemaphoreSlim gate;
        lock (Gates)
        {
            var (existing, users) = Gates.TryGetValue(hash, out var g) ? g : (new SemaphoreSlim(1, 1), 0);
            Gates[hash] = (existing, users + 1);
            gate = existing;
        }
        var entered = false;
        try
        {
            entered = await gate.WaitAsync(wait, cancel);
        }
        finally
        {
            if (!entered) Leave(hash, gate, release: false);
        }
        return entered
            ? new Entered(() => Leave(hash, gate, release: true))
            : throw new RpcException(new Status(StatusCode.Unavailable,
                $"another upload of blob {hash} has been in progress for {wait.TotalSeconds:0} s; try again"));
    }

    private static void Leave(Sha256Digest hash, SemaphoreSlim gate, bool release)
    {
        if (release) gate.Release();
        lock (Gates)
        {
            var (_, users) = Gates[hash];
            if (users > 1) Gates[hash] = (gate, users - 1);
            else Gates.Remove(hash);
        }
    }

    private sealed class Entered(Action leave) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0) leave();
        }
    }
}
