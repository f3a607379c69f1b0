namespace Gensyn.Actors.Settlement;

/// <summary>
/// A coordinator's chain, known at start (a devnet it runs, or --chain-rpc) or soon after (a coordinator that joins a
/// cluster uses the chain of the cluster it joins, learnt from a peer). Whatever needs the chain awaits <see cref="Ready"/>.
/// </summary>
public sealed class ChainLink
{
    private readonly TaskCompletionSource<ChainRuntime> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<ChainRuntime> Ready => _ready.Task;

    public static ChainLink Of(ChainRuntime runtime)
    {
        var link = new ChainLink();
        link.Resolve(runtime);
        return link;
    }

    public void Resolve(ChainRuntime runtime) => _ready.TrySetResult(runtime);

    public void Fail(Exception reason) => _ready.TrySetException(reason);

    /// <summary>The runtime, waiting at most <paramref name="limit"/>; a chain that is still unknown is reported as such.</summary>
    public async Task<ChainRuntime> WithinAsync(TimeSpan limit)
    {
        try
        {
            return await Ready.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException("this coordinator does not know its settlement chain yet; retry in a few seconds");
        }
    }
}
