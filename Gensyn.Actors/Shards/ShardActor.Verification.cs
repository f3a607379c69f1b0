using Akka.Actor;
using Akka.Event;
using Gensyn.Actors.Verification;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Shards;

// A shard actor's results and their verification, common to every mode: the one admission check, the one start of
// a challenge, and the state in which the shard waits for its verdict and the parent's acceptance.
public abstract partial class ShardActor
{
    /// <summary>The steps a new key's result is challenged on (see <see cref="VerificationPolicy"/>).</summary>
    private int? _newKeySamples;

    /// <summary>Whether the worker was freed for its next shard at its commit (see <see cref="FreeWorker"/>).</summary>
    private bool _freed;

    /// <summary>
    /// Frees the worker for its next shard as soon as its result is committed, when its key has earned it
    /// (<see cref="ShardAttempt.FreeAtCommit"/>), so that the verification of this result overlaps the worker's next
    /// training: the scheduler may grant it again at once. The worker still answers this challenge (it keeps what it
    /// committed until told to abandon it); the parent still waits for the verdict before the shard counts, and a
    /// rejection still sends the shard to another worker.
    /// </summary>
    protected void FreeWorker()
    {
        if (_freed || Attempt is not { } a || !a.FreeAtCommit(FreeAtCommitStreak)) return;
        _freed = true;
        Services.Scheduler.Tell(new ReleaseWorker(a.WorkerId, Self, Completed: true));
    }

    /// <summary>
    /// The one check every result passes, in every mode and state: it must be the current assignment's (else it is
    /// ignored), name an uploaded end state (unless <see cref="EndStateRebuilt"/>) and carry the granted key's
    /// signature (else the worker is let go).
    /// </summary>
    /// <summary>Whether a result's end state may come from its verifier's replay instead of the worker's upload
    /// (spot-checked training, whose last segment is always replayed).</summary>
    protected virtual bool EndStateRebuilt => false;

    protected bool Admit(ShardResult result)
    {
        var admission = Attempt?.Admit(Order, result, Services.Store.Contains, Services.Network(), EndStateRebuilt)
                        ?? Admission.Fenced;
        if (admission.Stale)
            Log.Warning("{0}: ignored a result for epoch {1} from worker {2} (current: epoch {3}, worker {4})",
                Label, result.Epoch, result.WorkerId, Attempt?.Epoch, Attempt?.WorkerId);
        else if (admission.Refusal is { } reason) LoseWorker(reason, admission.CountsAsFailure);
        return admission.IsAdmitted;
    }

    /// <summary>
    /// Tells the scheduler how fast the worker went as this coordinator saw it: the shard's steps (times the model's
    /// step work) over the time from the assignment to the result. Nothing in it is the worker's word.
    /// </summary>
    protected void ReportThroughput()
    {
        if (Attempt is not { } a || a.StepsRun(Order) <= 0) return;
        Services.Scheduler.Tell(new WorkerThroughputObserved(a.WorkerId, a.StepsRun(Order), Order.StepWork,
            (DateTime.UtcNow - _assignedAt).TotalSeconds));
    }

    /// <summary>
    /// The one start of every verification: the attempt holds the challenge (drawn from a fresh secret unless
    /// <paramref name="challenged"/> says otherwise), the stall timer stops, the parent shows the shard as verifying.
    /// </summary>
    protected ShardChallenge BeginChallenge(ShardResult result, Func<ShardAttempt, ShardAttempt>? challenged = null)
    {
        Attempt = challenged?.Invoke(Attempt!) ?? Attempt!.Challenged(Order, result, ChallengeSampler.NewSecret(),
            _newKeySamples ??= VerificationPolicy.NewKeySamples(Context.System.Settings.Config, w => Log.Warning(w)));
        if (Attempt.Challenge is { PossessionOnly: false } drawn && Services.Challenges is { } faults)
            Attempt = Attempt with
            {
                Challenge = drawn with { Steps = faults.Steps(Order, Attempt.WorkerId, drawn.Steps) },
            };
        Timers.Cancel("stall");
        Context.Parent.Tell(new Verifying(Order.Shard, true));
        Become(Challenging);
        return Attempt.Challenge!;
    }

    protected void Challenging()
    {
        Receive<ShardVerdict>(verdict =>
        {
            if (Attempt?.Challenge is null || !Current(verdict.Epoch, verdict.WorkerId)) return;
            if (verdict.Outcome == VerdictOutcome.Inconclusive)
            {
                // The verifier failed, not the worker: nobody is judged, the shard runs again.
                Attempt = Attempt with { Challenge = null };
                Context.Parent.Tell(new Verifying(Order.Shard, false));
                LoseWorker($"its result could not be verified ({verdict.Reason})", countsAsFailure: false);
                return;
            }
            if (verdict is { Checkpoint: not null, IsAccepted: false }) JudgeCheckpoint(verdict);
            else Judge(verdict);
        });
        Receive<ChallengeExpired>(expired =>
        {
            if (expired.Epoch == Attempt?.Epoch && Attempt.Challenge is not null)
                Judge(Verdict(VerdictOutcome.Unavailable,
                    $"it did not open the challenged steps within {ChallengeTimeout.TotalSeconds:0} s"));
        });
        Receive<Accepted>(_ =>
        {
            // A freed worker is told it may forget what it committed; any other one is released only now.
            if (_freed) AbandonWorker();
            else Services.Scheduler.Tell(new ReleaseWorker(Attempt?.WorkerId, Self, Completed: true));
            if (Worker is not null) Context.Unwatch(Worker);
            OnAccepted();
            Context.Stop(Self);
        });
        Receive<Rejected>(rejected =>
        {
            ExcludedWorkers = rejected.Excluded;
            Context.Parent.Tell(new Verifying(Order.Shard, false));
            if (Attempt is not null) Attempt = Attempt with { Challenge = null };
            AfterRejection();
        });
        Receive<Excluded>(excluded => ExcludedWorkers = excluded.Workers);
        IgnoreProgress();
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(Worker)) return;
            Context.Parent.Tell(new Verifying(Order.Shard, false));
            LoseWorker("the worker's process is gone before its result was verified", true, workerGone: true);
        });
        OnChallenging();
        Common();
    }

    protected ShardVerdict Verdict(VerdictOutcome outcome, string reason) => Attempt!.Verdict(Order, outcome, reason);

    /// <summary>The verdict goes to the parent, which persists it and answers Accepted or Rejected.</summary>
    protected void Judge(ShardVerdict verdict)
    {
        if (Attempt is not { Challenge: { } c } a) return;
        Timers.Cancel("challenge");
        if (verdict.IsAccepted) Log.Info("{0}: worker {1}'s result accepted: {2}", Label, a.WorkerId, verdict.Reason);
        else Log.Warning("{0}: worker {1}'s result rejected ({2}): {3}", Label, a.WorkerId, verdict.Outcome,
            verdict.Reason);
        Services.Scheduler.Tell(new WorkerJudged(a.WorkerId, verdict.IsAccepted, a.Address));
        Context.Parent.Tell(new Judged(c.Result, verdict, a.Address, c.Steps, Convert.ToHexStringLower(c.Secret)));
    }

    /// <summary>
    /// The checkpoint the worker resumed from does not replay: the verdict is its maker's, and goes to the parent,
    /// which journals it against the maker and releases this worker without blame (answering Rejected).
    /// </summary>
    private void JudgeCheckpoint(ShardVerdict verdict)
    {
        if (Attempt is not { Challenge: not null } a || verdict.Checkpoint is not { } saved) return;
        Timers.Cancel("challenge");
        Log.Warning("{0}: worker {1} resumed from worker {2}'s step-{3} checkpoint, which is rejected ({4}): {5}",
            Label, a.WorkerId, saved.WorkerId, saved.LocalStep, verdict.Outcome, verdict.Reason);
        Services.Scheduler.Tell(new WorkerJudged(saved.WorkerId, false, saved.Maker ?? ""));
        Context.Parent.Tell(new CheckpointJudged(Order.Shard, a.Epoch, a.WorkerId, verdict));
    }

    /// <summary>Progress and checkpoints after the result are of no use.</summary>
    protected void IgnoreProgress()
    {
        Receive<ShardProgress>(_ => { });
        Receive<ShardCheckpointed>(_ => { });
    }

    protected void OnWorkerGone(string reason) => Receive<Terminated>(t =>
    {
        if (t.ActorRef.Equals(Worker)) LoseWorker(reason, countsAsFailure: true, workerGone: true);
    });
}
