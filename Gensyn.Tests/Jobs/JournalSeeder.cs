using Akka.Actor;
using Akka.Persistence;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Jobs;

/// <summary>Writes a job's journal as an earlier JobActor would have: events, and a snapshot after some of
/// them.</summary>
internal sealed class JournalSeeder(string persistenceId) : UntypedPersistentActor
{
    public sealed record Write(IReadOnlyList<IJobEvent> Events);

    public sealed record Snapshot(object State);

    private IActorRef? _snapshotFor;

    public override string PersistenceId => persistenceId;

    protected override void OnRecover(object message)
    {
    }

    protected override void OnCommand(object message)
    {
        var replyTo = Sender;
        switch (message)
        {
            case Write write:
                PersistAll(write.Events, _ => { });
                DeferAsync(write, _ => replyTo.Tell("written"));
                break;
            case Snapshot snapshot:
                _snapshotFor = replyTo;
                SaveSnapshot(snapshot.State);
                break;
            case SaveSnapshotSuccess:
                _snapshotFor?.Tell("saved");
                break;
        }
    }
}
