using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Training.Data;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Tests.Verification;

// Bit-exact: the referee's replays must equal runs made earlier in this process. Once (in a full parallel run) a replay of
// step 1 differed from the honest run, with nothing in this class changed, so these run alone, as the tests that change
// libtorch's process-wide settings do.
[Collection(TorchThreadCountCollection.Name)]
public sealed class BisectionTests
{
    /// <summary>A synthetic job of <c>h</c> inner steps that keeps every state, with one honest shard run.</summary>
    private sealed class Job : IDisposable
    {
        private readonly DatasetSplits _data;

        public Job(int h)
        {
            var spec = TestSpecs.Synthetic(innerSteps: h, checkpointEvery: 1);
            _data = DatasetLoader.Load(spec, Path.GetTempPath());
            Session = new TrainingSession(spec, _data);
            Referee = new Referee(Session);
            Honest = ShardRun.Honest(Session, ShardTask.For(spec, 0, 0, _data.Train.Count), Session.InitialState);
        }

        public TrainingSession Session { get; }
        public Referee Referee { get; }
        public ShardRun Honest { get; }
        public int H => Honest.Task.InnerSteps;
        public Sha256Digest AssignedStart => Honest.Digests[0];

        /// <summary>The honest run with step <paramref name="step"/>'s update scaled by <paramref name="scale"/> and trained on from there.</summary>
        public ShardRun Cheat(int step, float scale = 1.5f) => Honest.FakeStep(Session, step, (before, after) => StateEdits.ScaleUpdate(before, after, scale));

        public void Dispose()
        {
            Session.Dispose();
            _data.Dispose();
        }
    }

    private static Func<BisectionQuery, BisectionAnswer?> Party(ShardRun run) => q => Bisection.Answer(run.Tree, run.Digests, q);

    private static (Bisection Bisection, BisectionOutcome Outcome) Dispute(ShardRun a, ShardRun b) =>
        Dispute(a, b, Party(a), Party(b));

    private static (Bisection Bisection, BisectionOutcome Outcome) Dispute(ShardRun a, ShardRun b,
        Func<BisectionQuery, BisectionAnswer?> askA, Func<BisectionQuery, BisectionAnswer?> askB)
    {
        var bisection = new Bisection(a.Task.InnerSteps, a.Root, b.Root);
        var outcome = bisection.Run(askA, askB);
        Assert.DoesNotContain('\n', outcome.Reason);
        return (bisection, outcome);
    }

    private static int MaxExchanges(int h) => (int)Math.Ceiling(Math.Log2(h + 1)) + 2;

    private static void AssertFault(BisectionOutcome outcome, Culprit party, string reasonContains)
    {
        var fault = Assert.IsType<BisectionFault>(outcome);
        Assert.Equal(party, fault.Party);
        Assert.Contains(reasonContains, fault.Reason);
        Assert.DoesNotContain('\n', fault.Reason);
    }

    [Theory]
    [InlineData(7, 1)]
    [InlineData(7, 3)]
    [InlineData(7, 4)]
    [InlineData(7, 7)]
    [InlineData(8, 1)]
    [InlineData(8, 4)]
    [InlineData(8, 8)]
    [InlineData(9, 1)]
    [InlineData(9, 4)]
    [InlineData(9, 8)]
    [InlineData(9, 9)]
    [InlineData(100, 1)]
    [InlineData(100, 37)]
    [InlineData(100, 50)]
    [InlineData(100, 64)]
    [InlineData(100, 100)]
    public void The_bisection_finds_the_faked_step_and_the_referee_blames_the_cheater_whichever_side_it_is(int h, int d)
    {
        using var job = new Job(h);
        var (honest, cheat) = (job.Honest, job.Cheat(d));
        foreach (var (a, b, cheater) in new[] { (cheat, honest, Culprit.A), (honest, cheat, Culprit.B) })
        {
            var (bisection, outcome) = Dispute(a, b);
            var divergence = Assert.IsType<Divergence>(outcome);
            Assert.Equal(d, divergence.Leaf);
            Assert.Equal(honest.Digests[d - 1], divergence.AgreedBefore);
            Assert.Equal((a.Digests[d], b.Digests[d]), (divergence.ClaimA, divergence.ClaimB));
            Assert.InRange(bisection.Exchanges, 2, MaxExchanges(h));
            Assert.Null(bisection.Next);
            // Per party: the top, two hashes per descent exchange, then the claim, the digest before and its proof.
            var descents = bisection.Exchanges - 2;
            Assert.Equal(2 * 32 * (1 + 2 * descents + 2 + honest.Tree.Prove(d - 1).Siblings.Count), bisection.BytesMoved);

            var ruling = job.Referee.Judge(honest.Task, divergence, job.AssignedStart, honest.States[d - 1]);
            Assert.Equal(cheater, ruling.Culprit);
            Assert.Equal(honest.Digests[d], ruling.Expected);
            Assert.Equal(d, ruling.Step);
            Assert.Contains($"step {d}: the replay gives", ruling.Reason);
            Assert.DoesNotContain('\n', ruling.Reason);
        }
    }

    [Fact]
    public void Two_cheats_at_the_same_step_are_both_blamed_and_the_earlier_of_two_cheats_is_blamed_first()
    {
        using var job = new Job(9);
        var (high, low) = (job.Cheat(5, 1.5f), job.Cheat(5, 0.5f));
        var divergence = Assert.IsType<Divergence>(Dispute(high, low).Outcome);
        Assert.Equal(5, divergence.Leaf);
        var ruling = job.Referee.Judge(job.Honest.Task, divergence, job.AssignedStart, job.Honest.States[4]);
        Assert.Equal(Culprit.Both, ruling.Culprit);
        Assert.Equal(job.Honest.Digests[5], ruling.Expected);

        var (early, late) = (job.Cheat(3), job.Cheat(6));
        divergence = Assert.IsType<Divergence>(Dispute(late, early).Outcome);
        Assert.Equal(3, divergence.Leaf);
        Assert.Equal(Culprit.B, job.Referee.Judge(job.Honest.Task, divergence, job.AssignedStart, job.Honest.States[2]).Culprit);
    }

    [Fact]
    public void A_different_start_state_is_settled_against_the_assigned_start_without_a_replay()
    {
        using var job = new Job(8);
        var elsewhere = ShardRun.Honest(job.Session, job.Honest.Task, StateEdits.MapParameters(job.Honest.States[0], v => v * 0.5f));
        var (bisection, outcome) = Dispute(job.Honest, elsewhere);
        var divergence = Assert.IsType<Divergence>(outcome);
        Assert.Equal(0, divergence.Leaf);
        Assert.Null(divergence.AgreedBefore);
        Assert.InRange(bisection.Exchanges, 2, MaxExchanges(8));
        var ruling = job.Referee.Judge(job.Honest.Task, divergence, job.AssignedStart, before: null);
        Assert.Equal(Culprit.B, ruling.Culprit);
        Assert.Equal(job.AssignedStart, ruling.Expected);
        Assert.Contains("the assigned start state gives", ruling.Reason);
    }

    [Fact]
    public void Replicas_that_agree_on_a_start_other_than_the_assigned_one_are_both_wrong()
    {
        using var job = new Job(7);
        var start = StateEdits.MapParameters(job.Honest.States[0], v => v * 0.5f);
        var wrongStart = ShardRun.Honest(job.Session, job.Honest.Task, start);
        var divergence = Assert.IsType<Divergence>(Dispute(wrongStart, wrongStart.FakeStep(job.Session, 1, (b, a) => StateEdits.ScaleUpdate(b, a, 2f))).Outcome);
        Assert.Equal(1, divergence.Leaf);
        var ruling = job.Referee.Judge(job.Honest.Task, divergence, job.AssignedStart, start);
        Assert.Equal(Culprit.Both, ruling.Culprit);
        Assert.Contains("not from the assigned start state", ruling.Reason);
    }

    [Fact]
    public void A_forged_or_missing_state_before_is_rejected_without_a_ruling_and_the_other_partys_state_decides()
    {
        using var job = new Job(9);
        var cheat = job.Cheat(4);
        var divergence = Assert.IsType<Divergence>(Dispute(cheat, job.Honest).Outcome);
        var task = job.Honest.Task;

        // The cheater opens a doctored state before step 4 that would make its own claim replay.
        var forged = StateEdits.MapParameters(job.Honest.States[3], v => v + 1e-3f);
        var rejected = job.Referee.Judge(task, divergence, job.AssignedStart, forged);
        Assert.True(rejected.StateRejected);
        Assert.Null(rejected.Expected);
        Assert.Contains("the opened state before hashes to", rejected.Reason);
        Assert.Contains("not to the agreed leaf 3", rejected.Reason);
        Assert.True(job.Referee.Judge(task, divergence, job.AssignedStart, job.Honest.States[2]).StateRejected);
        Assert.True(job.Referee.Judge(task, divergence, job.AssignedStart, job.Honest.States[3].WithStep(99)).StateRejected);
        var broken = new Gensyn.Training.State.StateSnapshot(job.Honest.States[3].Tensors.Select(t => t with { Values = t.Values[..^1] }), 3);
        Assert.Contains("could not be hashed", job.Referee.Judge(task, divergence, job.AssignedStart, broken).Reason);
        Assert.Contains("no state before it was opened", job.Referee.Judge(task, divergence, job.AssignedStart, null).Reason);

        // The honest party opens the real one.
        Assert.Equal(Culprit.A, job.Referee.Judge(task, divergence, job.AssignedStart, job.Honest.States[3]).Culprit);
    }

    [Fact]
    public void An_agreed_state_that_no_step_can_start_from_makes_both_trees_wrong()
    {
        using var job = new Job(7);
        // Both trees hold, at leaf 2, a state that lacks a tensor of the model: no honest step 2 produced it.
        var alien = new Gensyn.Training.State.StateSnapshot(job.Honest.States[2].Tensors.Skip(1), 2);
        var divergence = new Divergence(3, alien.Digest(), job.Honest.Digests[3], job.Cheat(3).Digests[3]);
        var ruling = job.Referee.Judge(job.Honest.Task, divergence, job.AssignedStart, alien);
        Assert.Equal(Culprit.Both, ruling.Culprit);
        Assert.Contains("cannot be replayed", ruling.Reason);
        Assert.DoesNotContain('\n', ruling.Reason);
    }

    [Fact]
    public void A_party_whose_answers_do_not_hash_to_its_own_tree_loses_at_once()
    {
        using var job = new Job(9);
        var (honest, cheat) = (job.Honest, job.Cheat(6));
        var cheatParty = Party(cheat);
        static Sha256Digest Flip(Sha256Digest d) => d with { D = d.D ^ 1 };

        // Children that do not hash to the party's node.
        var (bisection, outcome) = Dispute(cheat, honest, q => q is ChildrenQuery ? ((ChildrenAnswer)cheatParty(q)!) with { Left = Flip(((ChildrenAnswer)cheatParty(q)!).Left) } : cheatParty(q), Party(honest));
        AssertFault(outcome, Culprit.A, "A: the children it gave of node (4, 0) do not hash to its own node");
        Assert.Equal(2, bisection.Exchanges);
        // A copycat that answers from the honest tree after committing to its own root.
        AssertFault(Dispute(honest, cheat, Party(honest), Party(honest)).Outcome, Culprit.B, "B: its top node");
        AssertFault(Dispute(honest, cheat, Party(honest), q => q is TopQuery ? cheatParty(q) : Party(honest)(q)).Outcome, Culprit.B, "do not hash to its own node");
        // One child where the node has two.
        AssertFault(Dispute(cheat, honest, q => q is ChildrenQuery ? ((ChildrenAnswer)cheatParty(q)!) with { Right = null } : cheatParty(q), Party(honest)).Outcome,
            Culprit.A, "which has two");
        // Both lie: both lose.
        var both = Dispute(cheat, honest, q => q is TopQuery ? new TopAnswer(Flip(cheat.Tree.Top)) : cheatParty(q), q => q is TopQuery ? new TopAnswer(Flip(honest.Tree.Top)) : Party(honest)(q)).Outcome;
        AssertFault(both, Culprit.Both, "A: its top node");
        Assert.Contains("; B: its top node", both.Reason);
    }

    [Fact]
    public void A_leaf_answer_must_be_proven_against_the_partys_own_tree()
    {
        using var job = new Job(9);
        var (honest, cheat) = (job.Honest, job.Cheat(5));
        var cheatParty = Party(cheat);
        Func<BisectionQuery, BisectionAnswer?> AtLeaf(Func<LeafAnswer, LeafAnswer> change) => q => q is LeafQuery ? change((LeafAnswer)cheatParty(q)!) : cheatParty(q);

        AssertFault(Dispute(cheat, honest, AtLeaf(a => a with { Claim = honest.Digests[5] }), Party(honest)).Outcome,
            Culprit.A, "for leaf 5 does not hash to its own leaf node");
        AssertFault(Dispute(cheat, honest, AtLeaf(a => a with { Before = honest.Digests[3] }), Party(honest)).Outcome,
            Culprit.A, "for leaf 4 is not in its tree");
        AssertFault(Dispute(cheat, honest, AtLeaf(a => a with { BeforeProof = cheat.Tree.Prove(3) }), Party(honest)).Outcome,
            Culprit.A, "its proof is for leaf 3 of 10, expected leaf 4 of 10");
        AssertFault(Dispute(cheat, honest, AtLeaf(a => a with { BeforeProof = null }), Party(honest)).Outcome,
            Culprit.A, "no digest or no proof for leaf 4");
        AssertFault(Dispute(cheat, honest, AtLeaf(a => a with { BeforeProof = a.BeforeProof! with { Siblings = null! } }), Party(honest)).Outcome,
            Culprit.A, "no digest or no proof for leaf 4");
    }

    [Fact]
    public void Missing_malformed_or_throwing_answers_lose_never_an_exception()
    {
        using var job = new Job(8);
        var (honest, cheat) = (job.Honest, job.Cheat(2));
        AssertFault(Dispute(honest, cheat, Party(honest), _ => null).Outcome, Culprit.B, "B gave no answer to the query for its top node");
        AssertFault(Dispute(honest, cheat, Party(honest), _ => throw new IOException("gone")).Outcome, Culprit.B, "B gave no answer");
        AssertFault(Dispute(honest, cheat, q => q is ChildrenQuery ? new LeafAnswer(honest.Digests[0]) : Party(honest)(q), Party(cheat)).Outcome,
            Culprit.A, "A answered the query for the children of node (4, 0) with a LeafAnswer");

        // Driven step by step, as a coordinator does with remote parties.
        var bisection = new Bisection(8, honest.Root, cheat.Root);
        Assert.IsType<TopQuery>(bisection.Next);
        Assert.Null(bisection.Submit(new TopAnswer(honest.Tree.Top), new TopAnswer(cheat.Tree.Top)));
        Assert.Equal(new ChildrenQuery(4, 0), bisection.Next);
        var outcome = bisection.Submit(Bisection.Answer(honest.Tree, honest.Digests, bisection.Next!), null);
        AssertFault(outcome!, Culprit.B, "B gave no answer to the query for the children of node (4, 0)");
        Assert.Same(outcome, bisection.Outcome);
        Assert.Throws<InvalidOperationException>(() => bisection.Submit(null, null));
    }

    [Fact]
    public void Equal_roots_are_not_a_dispute()
    {
        using var job = new Job(7);
        var root = job.Honest.Root;
        Assert.Contains("nothing to dispute", Assert.Throws<ArgumentException>(() => new Bisection(7, root, root)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Bisection(0, root, job.Cheat(1).Root));
    }
}
