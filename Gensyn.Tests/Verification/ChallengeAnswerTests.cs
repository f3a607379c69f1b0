using Gensyn.Actors.Verification;

namespace Gensyn.Tests.Verification;

/// <summary>Which leaves a worker opens, and which in full, for each kind of challenge.</summary>
public sealed class ChallengeAnswerTests
{
    private static int[] Full(ChallengeAnswer.Plan plan) => plan.Full.Order().ToArray();

    [Fact]
    public void A_plain_challenge_opens_the_state_before_every_challenged_step_in_full()
    {
        var plan = ChallengeAnswer.For([5, 2, 3, 9], innerSteps: 8, withAfter: false);

        Assert.Equal([2, 3, 5], plan.Steps.ToArray());   // step 9 is outside the shard
        Assert.Equal([1, 2, 4, 8], Full(plan));   // and the end state, which only a chained replay rebuilds
        Assert.Equal([0, 1, 2, 3, 4, 5, 8], plan.Leaves.ToArray());
    }

    [Fact]
    public void A_chained_challenge_opens_in_full_only_the_state_before_each_run_of_consecutive_steps()
    {
        Assert.Equal([1, 4, 7], Full(ChallengeAnswer.For([2, 3, 5, 6, 8], 8, withAfter: false, chained: true)));
        Assert.Equal([0], Full(ChallengeAnswer.For([1, 2, 3, 4], 4, withAfter: false, chained: true)));
        Assert.Equal([0, 3], Full(ChallengeAnswer.For([1, 4], 4, withAfter: false, chained: true)));
    }

    [Fact]
    public void The_end_state_is_opened_in_full_unless_a_chained_replay_of_the_last_step_rebuilds_it()
    {
        Assert.DoesNotContain(8, Full(ChallengeAnswer.For([3, 8], 8, withAfter: false, chained: true)));
        Assert.Contains(8, Full(ChallengeAnswer.For([3, 7], 8, withAfter: false, chained: true)));
        Assert.Contains(8, Full(ChallengeAnswer.For([3, 8], 8, withAfter: false, chained: false)));
        Assert.Contains(8, Full(ChallengeAnswer.For([3, 8], 8, withAfter: true, chained: true)));
    }

    [Fact]
    public void A_cross_class_challenge_is_never_chained()
    {
        var plan = ChallengeAnswer.For([2, 3], 8, withAfter: true, chained: true);

        Assert.Equal([1, 2, 3, 8], Full(plan));
    }
}
