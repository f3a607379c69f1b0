using System.Collections.Concurrent;
using Akka.Actor;

namespace Gensyn.Actors.Metrics;

/// <summary>
/// What each live actor last published for an observable gauge to read on a scrape: one value per actor, replaced
/// by its next publication and dropped once the actor has stopped (a passivated job, a singleton that moved, a
/// stopped node), so that no actor needs to take its figures back.
/// </summary>
public sealed class ActorPublications<T>
{
    private readonly ConcurrentDictionary<IActorRef, T> _latest = new();

    public void Publish(IActorRef actor, T value) => _latest[actor] = value;

    /// <summary>What <paramref name="actor"/> published last, if anything.</summary>
    public T? Last(IActorRef actor) => _latest.TryGetValue(actor, out var value) ? value : default;

    /// <summary>The values of the actors still alive.</summary>
    public IReadOnlyList<T> Live()
    {
        var live = new List<T>(_latest.Count);
        foreach (var (actor, value) in _latest)
        {
            // A scrape runs outside any actor, where no Watch can tell it of a stop: it asks the reference itself.
#pragma warning disable CS0618
            if (actor is IInternalActorRef { IsTerminated: true }) _latest.TryRemove(actor, out _);
#pragma warning restore CS0618
            else live.Add(value);
        }
        return live;
    }
}
