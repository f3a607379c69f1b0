using Gensyn.Contracts.Jobs;
using Gensyn.Testing.Workers;
using Gensyn.Training.Data;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Tests.Security;

/// <summary>
/// training.commit-every from a requester, and commitments from a worker that does not follow it: a bad value is
/// refused with one line that names the field and says what to use; a worker that commits other states than the
/// spec's c cannot pass a spot-check.
/// </summary>
public sealed class CommitEveryAttackTests
{
    private static string Spec(string training) => $"""
        name: job
        model: {"{"} kind: mlp {"}"}
        dataset: {"{"} name: mnist {"}"}
        training: {"{"} {training} {"}"}
        """;

    private static string ErrorOf(string training) =>
        Assert.Single(Assert.Throws<JobSpecException>(() => JobSpecParser.Parse(Spec(training), "/data")).Errors);

    [Theory]
    [InlineData("commit-every: 0")]
    [InlineData("commit-every: -5")]
    [InlineData("commit-every: 2.5")]
    [InlineData("commit-every: ten")]
    [InlineData("commit-every: 99999999999")]
    [InlineData("commit-every: [4]")]
    public void A_commit_interval_that_is_not_a_positive_integer_is_refused_in_one_line(string field)
    {
        var error = ErrorOf(field);
        Assert.StartsWith("training.commit-every: ", error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void A_commit_interval_that_does_not_divide_the_checkpoint_interval_is_refused_with_a_divisor_to_use()
    {
        var error = ErrorOf("inner-steps: 100, checkpoint-every: 50, commit-every: 30");
        Assert.StartsWith("training.commit-every: must divide training.checkpoint-every (50)", error);
        Assert.Contains("use a divisor such as 25", error);
    }

    [Fact]
    public void A_commit_interval_beyond_the_shard_is_clipped_to_it_and_absent_one_takes_the_default()
    {
        Assert.Equal(40, JobSpecParser.Parse(Spec("inner-steps: 40, commit-every: 1000"), "/data")
            .RequireTraining().CommitEvery);
        // Checkpoints past the shard's end do not constrain c.
        Assert.Equal(7, JobSpecParser.Parse(Spec("inner-steps: 100, checkpoint-every: 100, commit-every: 7"), "/data")
            .RequireTraining().CommitEvery);
        Assert.Equal(TrainingSpec.DefaultCommitEveryFor(100, 50),
            JobSpecParser.Parse(Spec("inner-steps: 100, checkpoint-every: 50"), "/data").RequireTraining().CommitEvery);
        Assert.Equal(0, 50 % TrainingSpec.DefaultCommitEveryFor(100, 50));
        Assert.Equal(3, TrainingSpec.DefaultCommitEveryFor(100, 3));
        Assert.Equal(1, TrainingSpec.DefaultCommitEveryFor(1, 1));
    }

    [Fact]
    public void A_worker_that_commits_every_step_when_the_spec_says_c_fails_its_spot_check()
    {
        using var directory = new TempDirectory();
        var spec = TestSpecs.Synthetic(innerSteps: 8, checkpointEvery: 8, commitEvery: 4);
        using var data = DatasetLoader.Load(spec, directory.Path);
        using var session = new TrainingSession(spec, data);
        var task = ShardTask.For(spec, 1, 0, data.Train.Count);
        var start = session.InitialState.WithStep(8);
        // It trains honestly but commits a tree of H + 1 leaves, as a worker of another c would.
        var other = WorkerBehaviors.Run(session, task with { CommitEvery = 1 }, start, WorkerBehavior.Honest, 0, null,
            null, CancellationToken.None);
        var challenge = new SpotCheckChallenge(task, other.Outcome.MerkleRoot, [2], start.Step);
        var tree = new MerkleTree(other.Outcome.StepDigests);

        var ends = SpotCheckVerifier.VerifyEnds(challenge, start.Digest(), tree.Prove(0),
            other.Outcome.FinalState.Digest(), tree.Prove(8));
        Assert.Equal(Malformation.WrongLeaf, ends.Malformation);
        var verdict = new SpotCheckVerifier(session).Verify(challenge, [other.Open(session, 2, false)]);
        Assert.Equal(Malformation.WrongLeaf, verdict.Malformation);
    }
}
