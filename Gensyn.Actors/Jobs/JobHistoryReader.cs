using Akka.Actor;
using Akka.Persistence;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>
/// Reads a job's events from the journal, from the first up to a sequence number, for its <see cref="JobProjection"/>:
/// a JobActor that recovered from a snapshot holds the domain state only, and the views need every event. It answers
/// its parent with <see cref="Read"/> or <see cref="Failed"/> and stops.
/// </summary>
public sealed class JobHistoryReader : ReceiveActor
{
    public sealed record Read(IReadOnlyList<IJobEvent> Events, long ToSequenceNr) : INoSerializationVerificationNeeded;

    public sealed record Failed(string Reason) : INoSerializationVerificationNeeded;

    public static Props Props(IActorRef journal, string persistenceId, long toSequenceNr) =>
        Akka.Actor.Props.Create(() => new JobHistoryReader(journal, persistenceId, toSequenceNr));

    public JobHistoryReader(IActorRef journal, string persistenceId, long toSequenceNr)
    {
        var events = new List<IJobEvent>();
        Receive<ReplayedMessage>(m =>
        {
            if (m.Persistent.Payload is IJobEvent e) events.Add(e);
        });
        Receive<RecoverySuccess>(_ => Done(new Read(events, toSequenceNr)));
        Receive<ReplayMessagesFailure>(failed => Done(new Failed(failed.Cause.Message)));
        journal.Tell(new ReplayMessages(1, toSequenceNr, long.MaxValue, persistenceId, Self));
    }

    private void Done(object answer)
    {
        Context.Parent.Tell(answer);
        Context.Stop(Self);
    }
}
