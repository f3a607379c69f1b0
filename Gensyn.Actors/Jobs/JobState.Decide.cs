using Gensyn.Actors.Shards;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

public sealed partial record JobState
{
    /// <summary>
    /// The events a command leads to and the answers to its sender. Commands are the JobActor's inputs that can
    /// change the job: <see cref="StartJob"/>, <see cref="CancelJob"/>, <see cref="SettlementSettled"/>, what its
    /// shard actors report (<see cref="ShardActor.AssignRequested"/>, <see cref="ShardActor.Lost"/>,
    /// <see cref="ShardActor.Judged"/>, <see cref="ShardActor.CheckpointJudged"/>, <see cref="ShardActor.Sealed"/>,
    /// <see cref="ShardActor.Checkpointed"/>,
    /// <see cref="ShardActor.CheckpointUnusable"/>) and what its computations return
    /// (<see cref="JobCompute.PreparedRound"/>, <see cref="JobCompute.AggregatedRound"/>, <see cref="JobCompleted"/>,
    /// <see cref="ComputeFailed"/>), and a purge's full replay of a convicted key's result
    /// (<see cref="ResultReplayed"/>, or <see cref="ResultUnverifiable"/> when it cannot be had;
    /// <see cref="ToReverify"/> says which). Anything else changes nothing.
    /// </summary>
    public JobDecision Decide(object command, JobRules rules, DateTimeOffset now) => command switch
    {
        StartJob start => Start(start, now),
        CancelJob cancel => Cancel(cancel, now),
        SettlementSettled settled when Due(settled.SettlementId) is { } order =>
            JobDecision.Persist(new SettlementPosted(order, settled, now)),
        ShardActor.AssignRequested request => Assign(request, now),
        ShardActor.Lost lost => Release(lost, rules, now),
        ShardActor.Judged judged => Judge(judged, rules, now),
        ShardActor.CheckpointJudged judged => JudgeCheckpoint(judged, rules, now),
        ShardActor.Checkpointed { Checkpoint: var k, Maker: var maker }
            when Accepts(k.Round, k.Shard, k.Epoch, k.WorkerId, k.LocalStep) =>
            JobDecision.Persist(new ShardCheckpointSaved(k.Round, k.Shard, k.Epoch, k.WorkerId, k.LocalStep,
                k.Checkpoint, now, maker, k.Signature)),
        ShardActor.Sealed s when !IsTerminal && RoundOpen && s.Round == Round && IsShard(s.Shard)
                                 && Shards[s.Shard].Live.GetValueOrDefault(s.Epoch) == s.WorkerId =>
            JobDecision.Persist(new ReplicaSealed(s.Round, s.Shard, s.Epoch, s.Replica, s.WorkerId, s.Seal, now)),
        ShardActor.CheckpointUnusable u
            when RoundOpen && IsShard(u.Shard) && Shards[u.Shard].Checkpoint == u.Checkpoint =>
            JobDecision.Persist(new ShardCheckpointDiscarded(Round, u.Shard, u.Checkpoint, u.Reason, now)),
        ResultReplayed replayed => Reverified(replayed, now),
        ResultUnverifiable unverifiable => Unverified(unverifiable, now),
        ComputeFailed failed when Exists && !IsTerminal => JobDecision.Persist(new JobFailed(failed.Reason, now)),
        JobCompute.PreparedRound or JobCompute.AggregatedRound or JobCompleted when Exists && !IsTerminal =>
            Computed(command, now),
        _ => JobDecision.None,
    };

    private bool IsShard(int shard) => shard >= 0 && shard < Shards.Count;

    private SettlementOrder? Due(string settlementId) =>
        Exists ? SettlementsDue.FirstOrDefault(o => o.SettlementId == settlementId) : null;

    private JobDecision Start(StartJob start, DateTimeOffset now)
    {
        if (Exists)
        {
            // The same submission again is answered as before; another spec under a taken id is refused.
            var same = SpecYaml == start.SpecYaml || SpecYaml == JobSpecParser.WithExplicitDefaults(start.SpecYaml);
            return JobDecision.Reply(same && Ledger.Payer == start.Payer
                ? new JobAccepted(JobId, Spec!.Name)
                : new JobRejected(
                    [$"job id {JobId} is taken by another submission; submit again (a new id and deposit)"]));
        }
        // The journal holds the spec with today's defaults written out, so that reading it back later (resume,
        // purge) never gives this job a default that changed since.
        var yaml = JobSpecParser.WithExplicitDefaults(start.SpecYaml);
        JobSpec spec;
        try
        {
            spec = JobSpecs.Shared.Get(yaml);
        }
        catch (JobSpecException e)
        {
            return JobDecision.Reply(new JobRejected(e.Errors));
        }
        var submitted = new JobSubmitted(start.JobId, yaml, start.BaseDirectory, now, start.Payer,
            start.DepositMicros, start.Price, start.Owner ?? start.Payer);
        return new JobDecision([submitted], [new JobAccepted(start.JobId, spec.Name)], [], Advance: true);
    }

    private JobDecision Cancel(CancelJob cancel, DateTimeOffset now)
    {
        if (IsTerminal)
        {
            var phase = Phase.ToString().ToLowerInvariant();
            return JobDecision.Reply(
                new RequestFailed($"job {JobId} is already {phase}; nothing to cancel", InvalidInput: true));
        }
        var reason = string.IsNullOrWhiteSpace(cancel.Reason)
            ? "cancelled by the requester"
            : cancel.Reason[..Math.Min(cancel.Reason.Length, 200)];
        return new JobDecision([new JobCancelled(reason, now)], [new JobCancelAccepted(JobId, "cancelled")], []);
    }

    private JobDecision Assign(ShardActor.AssignRequested request, DateTimeOffset now)
    {
        if (!RoundOpen || IsTerminal || !IsShard(request.Shard) || Shards[request.Shard].Done) return JobDecision.None;
        if (Exclusion.Covers(request.WorkerId, request.Address))
            return JobDecision.Reply(new ShardActor.Excluded(Exclusion));
        var epoch = NextEpoch(request.Shard);
        var shard = Shards[request.Shard];
        var lineage = shard.Lineage.IsEmpty ? null : shard.Lineage;
        return new JobDecision([new ShardAssigned(Round, request.Shard, epoch, request.WorkerId, now)],
            [new ShardActor.AssignConfirmed(epoch, shard.Checkpoint, lineage)], []);
    }

    private JobDecision Release(ShardActor.Lost lost, JobRules rules, DateTimeOffset now)
    {
        if (!RoundOpen || IsTerminal || !IsShard(lost.Shard) || Shards[lost.Shard].Done
            || !Shards[lost.Shard].Live.TryGetValue(lost.Epoch, out var live) || live != lost.WorkerId)
            return JobDecision.None;
        var released = new ShardReleased(Round, lost.Shard, lost.Epoch, lost.WorkerId, lost.Reason, now,
            lost.CountsAsFailure);
        var events = Apply(released).FailIfExhausted([released], lost.Shard, lost.Reason, rules, now);
        return new JobDecision(events, [], []);
    }

    /// <summary>
    /// A result's verdict: an accepted result completes its shard; a rejected one sends the shard to another worker
    /// and excludes its worker (every other shard actor hears of it). In replicated mode the second replica may be
    /// judged after the shard completed with the other one's result: its verdict still counts.
    /// </summary>
    private JobDecision Judge(ShardActor.Judged judged, JobRules rules, DateTimeOffset now)
    {
        var (result, verdict) = (judged.Result, judged.Verdict);
        var secondReplica = Replicas == 2 && RoundOpen && result.Round == Round && IsShard(result.Shard)
                            && Shards[result.Shard].Done;
        if (!secondReplica && Reject(result) is { } reason)
            return JobDecision.None with
            {
                Warning = $"Job {JobId}: ignored the result of round {result.Round} shard {result.Shard}: {reason}",
            };
        if (verdict.IsAccepted && !secondReplica && Exclusion.Covers(result.WorkerId, judged.WorkerAddress))
        {
            // Its worker was convicted on another shard while this result was verified (workers are freed for their
            // next shard once they commit): the result does not count, and the shard goes to another worker.
            var lost = new ShardActor.Lost(result.Shard, result.Epoch, result.WorkerId,
                "its worker was excluded from the job while the result was verified", CountsAsFailure: false);
            return Release(lost, rules, now) with { Replies = [new ShardActor.Rejected(Exclusion)] };
        }
        var why = verdict.Reason.Length > 500 ? verdict.Reason[..500] : verdict.Reason;
        var verified = new ShardVerified(result.Round, result.Shard, result.Epoch, result.WorkerId,
            judged.WorkerAddress, verdict.Outcome, why, result.MerkleRoot, result.Signature, judged.Steps,
            judged.Secret, verdict.Step, verdict.Expected, verdict.Claimed, verdict.ClaimSignature,
            verdict.RelativeError, result.TrainSeconds, verdict.VerifySeconds, now, verdict.VerifierId);
        if (!verdict.IsAccepted)
        {
            var after = Apply(verified);
            var last = $"{verdict.Outcome.ToString().ToLowerInvariant()}: {why}";
            return new JobDecision(after.FailIfExhausted([verified], result.Shard, last, rules, now),
                [new ShardActor.Rejected(after.Exclusion)], [new ShardActor.Excluded(after.Exclusion)]);
        }
        if (secondReplica) return new JobDecision([verified], [new ShardActor.Accepted()], []);
        var completed = new ShardCompleted(result.Round, result.Shard, result.Epoch, result.WorkerId, result.EndState,
            result.MerkleRoot, result.Losses.Average(l => (double)l), now);
        return new JobDecision([verified, completed], [new ShardActor.Accepted()], [], Advance: true);
    }

    /// <summary>A shard that failed (or was rejected) on as many different workers as the rules allow fails its
    /// job.</summary>
    private IJobEvent[] FailIfExhausted(IJobEvent[] events, int shard, string last, JobRules rules,
        DateTimeOffset now)
    {
        var failed = Shards[shard].FailedWorkers;
        if (failed.Count < rules.MaxShardFailures || IsTerminal) return events;
        var workers = string.Join(", ", failed.Order());
        var reason = $"round {Round} shard {shard} failed on {failed.Count} different workers ({workers}); " +
                     $"last: {last}";
        return [.. events, new JobFailed(reason, now)];
    }

    /// <summary>What a finished computation leads to; one that no longer fits the job only lets it go on.</summary>
    private JobDecision Computed(object result, DateTimeOffset now)
    {
        switch (result)
        {
            case JobCompute.PreparedRound p when !RoundOpen && p.Round == CompletedRounds:
                var started = new RoundStarted(p.Round, p.Global, p.ShardStarts, p.Sizes, now, p.ShardSteps);
                return JobDecision.Persist(started) with { Advance = true };
            case JobCompute.PreparedRound again when RoundOpen && again.Round == Round:
                if (!again.ShardStarts.SequenceEqual(ShardStarts))
                {
                    var broken = $"recomputing round {again.Round}'s start states gave different bytes; " +
                                 "the determinism contract is broken";
                    return JobDecision.Persist(new JobFailed(broken, now));
                }
                return new JobDecision([], [], [new ShardActor.StartStateRestored()],
                    Info: $"Job {JobId}: round {again.Round}'s start states restored");
            case JobCompute.AggregatedRound a when RoundOpen && a.Round == Round:
                var meanLoss = Shards.Average(s => s.MeanLoss);
                var completed = new RoundCompleted(a.Round, a.Global, a.Digest, meanLoss, now,
                    RoundPayment(ConvictedAddresses).Convicted, a.Test?.Accuracy, a.Test?.Loss, a.Test?.Perplexity,
                    a.Update);
                return JobDecision.Persist(completed) with { Advance = true };
            case JobCompleted done:
                return JobDecision.Persist(done);
            default:
                return JobDecision.None with { Advance = true };
        }
    }
}
