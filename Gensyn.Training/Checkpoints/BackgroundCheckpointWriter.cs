using System.Threading.Channels;
using Gensyn.Training.Training;

namespace Gensyn.Training.Checkpoints;

/// <summary>
/// Writes shard checkpoints to disk on a background task, so serialising and writing a state never
/// stalls the training thread. Files are written in order; <see cref="DisposeAsync"/> waits for all.
/// </summary>
public sealed class BackgroundCheckpointWriter : IShardObserver, IAsyncDisposable, IDisposable
{
    private readonly Channel<(string Path, ShardCheckpoint Checkpoint)> _pending = Channel.CreateUnbounded<(string, ShardCheckpoint)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<ShardCheckpoint, string> _pathFor;
    private readonly Task _writer;

    /// <param name="pathFor">Where each checkpoint goes; a later checkpoint of the same shard may overwrite an earlier one.</param>
    public BackgroundCheckpointWriter(Func<ShardCheckpoint, string> pathFor)
    {
        _pathFor = pathFor;
        _writer = Task.Run(async () =>
        {
            await foreach (var (path, checkpoint) in _pending.Reader.ReadAllAsync()) ShardCheckpointFile.Save(path, checkpoint);
        });
    }

    public void OnStep(int localStep, float loss) { }

    public void OnCheckpoint(ShardCheckpoint checkpoint) => _pending.Writer.TryWrite((_pathFor(checkpoint), checkpoint));

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
