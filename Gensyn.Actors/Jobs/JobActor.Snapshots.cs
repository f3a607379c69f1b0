using Akka.Event;
using Akka.Persistence;

namespace Gensyn.Actors.Jobs;

// A job's snapshot bookkeeping: only the latest snapshot is kept, and failures only cost a longer recovery.
public sealed partial class JobActor
{
    private void SnapshotCommands()
    {
        Command<SaveSnapshotSuccess>(saved =>
        {
            _log.Debug("Job {0}: snapshot at event {1}", _state.JobId, saved.Metadata.SequenceNr);
            // Only the latest snapshot is ever read; the journal keeps every event (they are evidence).
            DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
        });
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed =>
            _log.Warning("Job {0}: could not delete old snapshots ({1})", _state.JobId, failed.Cause.Message));
        Command<SaveSnapshotFailure>(failed =>
            _log.Warning("Job {0}: snapshot failed ({1}); recovery will replay more events", _state.JobId,
                failed.Cause.Message));
    }
}
