using System.Text;
using Akka.Actor;
using Gensyn.Actors;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Jobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Serialization;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.Training;

namespace Gensyn.Tests.Jobs;

/// <summary>
/// Each round's new global state evaluated on the test split where the round is aggregated: the figures the
/// coordinator computes are `gensyn train`'s, evaluating changes no weight, the last round's figures are the job's, and
/// a journal from before rounds were evaluated still recovers.
/// </summary>
public sealed class RoundEvaluationTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();
    private readonly TrainingThread _thread = new("round-evaluation");

    public void Dispose()
    {
        _thread.Dispose();
        _dir.Dispose();
    }

    private static Sha256Digest D(int i) => Sha256Digest.Of(BitConverter.GetBytes(i));

    [Fact]
    public async Task The_coordinator_evaluates_the_rounds_the_spec_asks_for_with_gensyn_trains_figures_and_weights()
    {
        var yaml = TestSpecs.SyntheticYaml(rounds: 3, shards: 2, innerSteps: 6, evalEvery: 2);
        var spec = JobSpecParser.Parse(yaml, _dir.Path);
        var local = LocalJobRunner.Run(spec, _dir.Path);

        var (rounds, done) = await RunOnCoordinator(yaml);

        // Round 1 (every 2nd) and round 2 (the last) are evaluated, with the figures `gensyn train` prints.
        Assert.Equal(new[] { null, local.Rounds[1].Test, local.Rounds[2].Test }, rounds.Select(r => r.Test));
        Assert.NotNull(local.Rounds[1].Test);
        Assert.Equal(local.Rounds.Select(r => r.CheckpointDigest), rounds.Select(r => r.Digest));
        Assert.Equal(local.FinalDigest, done.FinalDigest);
        Assert.Equal((rounds[^1].Test!.Accuracy, rounds[^1].Test!.Loss), (done.TestAccuracy, done.TestLoss));
        Assert.Equal((local.Test.Accuracy, local.Test.Loss), (done.TestAccuracy, done.TestLoss));

        // Evaluating no intermediate round leaves every state bit for bit as it was.
        var (unevaluated, undone) = await RunOnCoordinator(
            TestSpecs.SyntheticYaml(rounds: 3, shards: 2, innerSteps: 6, evalEvery: 1000));
        Assert.Equal(new[] { null, null, rounds[^1].Test }, unevaluated.Select(r => r.Test));
        Assert.Equal(rounds.Select(r => r.Digest), unevaluated.Select(r => r.Digest));
        Assert.Equal(done.FinalDigest, undone.FinalDigest);
    }

    [Fact]
    public void A_round_completed_journalled_before_rounds_were_evaluated_still_recovers_without_test_figures()
    {
        // RoundCompleted as journals held it before it carried test figures.
        var written = $$"""
            {"round":0,"globalState":"{{D(8)}}","stateDigest":"{{D(9)}}","meanLoss":0.6,
             "at":"2026-12-06T00:00:07+00:00","uncounted":null}
            """;
        using var system = ActorSystem.Create("round-evaluation", NodeConfig.Remote());
        var old = (RoundCompleted)system.Serialization.Deserialize(Encoding.UTF8.GetBytes(written), GensynSerializer.Id,
            nameof(RoundCompleted));

        var events = new List<IJobEvent>
        {
            new JobSubmitted((JobId)"job-0000abcd", TestSpecs.SyntheticYaml(rounds: 1, shards: 1, innerSteps: 4),
                "/tmp", T0),
            new RoundStarted(0, D(1), [D(2)], [100], T0.AddSeconds(1)),
            new ShardAssigned(0, 0, 1, (WorkerId)"w1", T0.AddSeconds(2)),
            new ShardCompleted(0, 0, 1, (WorkerId)"w1", D(4), D(5), 0.6, T0.AddSeconds(5)),
            old,
        };
        var recovered = JobProjection.Of(events);

        Assert.Equal(((double?)null, (double?)null, (double?)null),
            (old.TestAccuracy, old.TestLoss, old.TestPerplexity));
        Assert.Equal(NextStep.Finish, recovered.State.Next());
        var round = Assert.Single(recovered.View(new Dictionary<int, (int Step, float Loss)>()).RoundHistory);
        Assert.Equal((D(8).ToString(), 0.6, (double?)null), (round.CheckpointHash, round.MeanLoss, round.TestAccuracy));

        var completed = recovered.Apply(new JobCompleted(D(10), 100, D(11), 0.9, 0.3, null, T0.AddSeconds(8)));
        var view = completed.View(new Dictionary<int, (int Step, float Loss)>());
        Assert.Equal((JobPhase.Completed, (double?)0.9), (view.State, view.TestAccuracy));
        Assert.Null(view.RoundHistory[0].TestAccuracy);
    }

    /// <summary>A job's rounds through <see cref="JobCompute"/> as the JobActor drives it, the shards run here as a
    /// worker runs them, and its result.</summary>
    private async Task<(List<JobCompute.AggregatedRound> Rounds, JobCompleted Done)> RunOnCoordinator(string yaml)
    {
        var spec = JobSpecParser.Parse(yaml, _dir.Path);
        var blobs = new BlobStore(_dir.File("blobs"));
        var compute = new JobCompute(_thread, blobs, _dir.Path);
        using var data = DatasetLoader.Load(spec, _dir.Path);
        using var worker = new TrainingSession(spec, data);
        var rounds = new List<JobCompute.AggregatedRound>();
        IReadOnlyList<Sha256Digest>? ends = null;
        for (var round = 0; round < spec.Rounds; round++)
        {
            var prepared = await compute.PrepareRound(spec, round, rounds.LastOrDefault()?.Global, ends);
            ends = prepared.ShardStarts.Select((start, shard) =>
            {
                var state = CheckpointFile.Deserialize(blobs.Get(start), "start").State;
                var outcome = worker.RunShard(ShardTask.For(spec, round, shard, data.Train.Count), state);
                return blobs.Put(CheckpointFile.Serialize(outcome.FinalState));
            }).ToList();
            rounds.Add(await compute.Aggregate(spec, round, prepared.Global, ends));
        }
        return (rounds, await compute.Finish(spec, (JobId)"job-0000abcd", rounds[^1].Global));
    }
}
