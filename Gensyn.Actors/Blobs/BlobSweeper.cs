using Akka.Actor;
using Akka.Event;

namespace Gensyn.Actors.Blobs;

/// <summary>
/// Collects a node's blob store every <see cref="BlobSettings.SweepInterval"/>: blobs no running job pins and unused for the retention
/// period, and partial uploads idle past their timeout (<see cref="BlobStore.Collect"/>). The first sweep waits
/// <see cref="BlobSettings.FirstSweepAfter"/> (and at least one interval), so that the jobs a restarted coordinator recovers have pinned
/// their blobs first.
/// </summary>
public sealed class BlobSweeper : ReceiveActor, IWithTimers
{
    public const string Name = "blob-sweeper";

    private sealed record Sweep
    {
        public static readonly Sweep Instance = new();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(BlobStore store, BlobSettings settings) => Akka.Actor.Props.Create(() => new BlobSweeper(store, settings));

    private readonly BlobSettings _settings;

    public BlobSweeper(BlobStore store, BlobSettings settings)
    {
        _settings = settings;
        var log = Context.GetLogger();
        Receive<Sweep>(_ =>
        {
            try
            {
                var collected = store.Collect(settings.Retention, settings.PartialIdleTimeout);
                if (collected.Count > 0) log.Info("Collected {0} blob(s) that no running job references, unused for {1}", collected.Count, settings.Retention);
            }
            catch (IOException e)
            {
                log.Warning("Blob sweep failed ({0}); trying again in {1}", e.Message, settings.SweepInterval);
            }
        });
    }

    protected override void PreStart() => Timers.StartPeriodicTimer("sweep", Sweep.Instance,
        _settings.FirstSweepAfter > _settings.SweepInterval ? _settings.FirstSweepAfter : _settings.SweepInterval, _settings.SweepInterval);
}
