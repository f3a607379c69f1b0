using System.Collections.Concurrent;

namespace Gensyn.Training.Training;

/// <summary>
/// One long-lived thread that runs training work in order. libtorch's dispose scopes and thread
/// settings are per thread, and a training step must not hop threads, so a node's TorchSharp work
/// all goes through one of these; callers get a Task to await.
/// </summary>
public sealed class TrainingThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;

    public TrainingThread(string name)
    {
        _thread = new Thread(() =>
        {
            foreach (var item in _work.GetConsumingEnumerable()) item();
        }) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public Task<T> Run<T>(Func<T> work)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                completion.SetResult(work());
            }
            catch (Exception e)
            {
                completion.SetException(e);
            }
        });
        return completion.Task;
    }

    /// <summary>Loads libtorch now, so the first real step does not pay for it.</summary>
    public Task<bool> WarmUp() => Run(() =>
    {
        using var warm = TorchSharp.torch.zeros(1);
        return true;
    });

    public void Dispose()
    {
        _work.CompleteAdding();
        if (Thread.CurrentThread != _thread) _thread.Join(TimeSpan.FromSeconds(30));
    }
}
