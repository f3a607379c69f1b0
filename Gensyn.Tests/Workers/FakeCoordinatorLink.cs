using Akka.Actor;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Tests.Workers;

/// <summary>
/// A worker's link to the coordinators with nothing behind it: each call does what the spec sets (by default the
/// network settles off chain, the bandwidth is 250 Mbps, blobs never arrive and uploads succeed).
/// </summary>
public sealed class FakeCoordinatorLink : ICoordinatorLink
{
    public Func<Task<IGensynMessage>> Network { get; init; } =
        () => Task.FromResult<IGensynMessage>(new NoChain("no chain in this spec"));
    public Func<Task<double>> Bandwidth { get; init; } = () => Task.FromResult(250.0);
    public Func<Sha256Digest, CancellationToken, Task<byte[]>> Fetch { get; init; } =
        (_, token) => Task.Delay(Timeout.Infinite, token).ContinueWith(_ => Array.Empty<byte>(), TaskScheduler.Default);

    /// <summary>The worker's session with the coordinators (by default one that drops what it is sent).</summary>
    public Func<IActorRef, Props> Session { get; init; } = _ => Props.Empty;

    public Props SessionProps(IActorRef worker, WorkerKey key) => Session(worker);
    public Task<IGensynMessage> NetworkAsync(CancellationToken cancel) => Network();
    public Task<double> MeasureBandwidthMbpsAsync(CancellationToken cancel) => Bandwidth();
    public Task<byte[]> FetchAsync(Sha256Digest hash, CancellationToken cancel) => Fetch(hash, cancel);
    public Task UploadAsync(Sha256Digest hash, byte[] bytes, CancellationToken cancel) => Task.CompletedTask;
}
