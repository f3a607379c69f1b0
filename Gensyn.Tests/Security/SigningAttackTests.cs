using Akka.Actor;
using Gensyn.Actors.Jobs;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Tests.Security;

/// <summary>
/// M3: weak signed-message formats. Every claim is EIP-712 typed data under a domain that names the chain and the escrow, so a
/// signature made for one network or escrow is worthless on another; the capability profile has typed fields (no newline-joined
/// text to reinterpret) and a signing time, so an old profile cannot be replayed.
/// </summary>
public class SigningAttackTests : Akka.TestKit.Xunit2.TestKit
{
    private const string Escrow = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    private const string OtherEscrow = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
    private const string Spec = "name: job\nbudget:\n  max-total: 5\n";

    private static readonly WorkerKey Requester = WorkerKey.Generate();

    private static ChainInfo Chain(int chainId = 31337, string escrow = Escrow) =>
        new("http://127.0.0.1:8545", chainId, "0x0000000000000000000000000000000000000001", "0x0000000000000000000000000000000000000002", escrow, true, 10, "0x0000000000000000000000000000000000000003");

    private static SubmitJob Submission(ClaimDomain signedFor, string jobId = "job-00112233aabbccdd") =>
        new(Spec, "/tmp", (JobId)jobId, Requester.Address, ClaimSigner.Sign(Requester, SubmissionClaim.For(signedFor, jobId, Spec)));

    [Fact]
    public void A_submission_signed_for_this_chain_and_escrow_is_accepted()
    {
        Assert.Null(SubmissionSignature.Problem(Chain(), "job-00112233aabbccdd", Submission(ClaimDomain.Of(Chain()))));
    }

    [Fact]
    public void A_submission_signed_for_another_chain_is_refused()
    {
        var problem = SubmissionSignature.Problem(Chain(), "job-00112233aabbccdd", Submission(ClaimDomain.Of(Chain(chainId: 1))));
        Assert.NotNull(problem);
        Assert.Contains("not signed by its payer", problem);
        Assert.Contains("chain 31337", problem);
    }

    [Fact]
    public void A_submission_signed_for_another_escrow_on_the_same_chain_is_refused()
    {
        var problem = SubmissionSignature.Problem(Chain(), "job-00112233aabbccdd", Submission(ClaimDomain.Of(Chain(escrow: OtherEscrow))));
        Assert.NotNull(problem);
        Assert.Contains(Escrow, problem);
    }

    [Fact]
    public void A_submission_signed_without_a_network_or_for_another_job_or_spec_is_refused()
    {
        Assert.NotNull(SubmissionSignature.Problem(Chain(), "job-00112233aabbccdd", Submission(ClaimDomain.None)));
        Assert.NotNull(SubmissionSignature.Problem(Chain(), "job-99112233aabbccdd", Submission(ClaimDomain.Of(Chain()))));
        var signed = Submission(ClaimDomain.Of(Chain()));
        Assert.NotNull(SubmissionSignature.Problem(Chain(), "job-00112233aabbccdd", signed with { SpecYaml = Spec + "# changed\n" }));
    }

    /// <summary>The capability hash before typed data: the fields joined with newlines (kept here to show the collision it allowed).</summary>
    private static byte[] NewlineJoinedHash(CapabilityClaim c)
    {
        static string R(double d) => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return Nethereum.Util.Sha3Keccack.Current.CalculateHash(System.Text.Encoding.UTF8.GetBytes(string.Join("\n",
            "gensyn/capability/v1", c.WorkerId, c.Address.ToLowerInvariant(), c.Device, R(c.MemoryGb), c.Threads, c.NumericClass, R(c.PricePerHour),
            R(c.Throughput), R(c.BandwidthMbps))));
    }

    [Fact]
    public void Two_capability_profiles_that_read_the_same_when_joined_with_newlines_no_longer_share_a_signature()
    {
        var key = WorkerKey.Generate();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // The worker signs device "cpu" and numeric class "c\n8\n1\nc"; the same bytes read as device "cpu\n8\n1\nc" and class "c".
        var signed = new CapabilityClaim("w", key.Address, "cpu", 8, 1, "c\n8\n1\nc", 0.5, 100, 50, now);
        var reread = signed with { Device = "cpu\n8\n1\nc", NumericClass = "c" };
        Assert.Equal(NewlineJoinedHash(signed), NewlineJoinedHash(reread)); // the ambiguity the old format had

        Assert.NotEqual(signed.ComputeHash(), reread.ComputeHash());
        Assert.False(ClaimSigner.Verify(reread, ClaimSigner.Sign(key, signed), key.Address));
    }

    private static RegisterWorker Profile(WorkerKey key, IActorRef worker, long issuedAt, double price = 0.2, ClaimDomain? network = null)
    {
        var profile = new RegisterWorker((WorkerId)"replayed", worker, "cpu", 8, 1, WorkerOptions.NumericClassFor(1), price, key.Address, IssuedAtUnixMs: issuedAt);
        return profile with { Signature = ClaimSigner.Sign(key, CapabilityClaim.From(profile, network)) };
    }

    [Fact]
    public void A_replayed_old_capability_profile_is_refused_by_the_registry()
    {
        var key = WorkerKey.Generate();
        var registry = Sys.ActorOf(WorkerRegistry.Props());
        var worker = CreateTestProbe();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // A profile the worker signed an hour ago (at a lower price, say), captured and sent again.
        registry.Tell(Profile(key, worker.Ref, now - (long)TimeSpan.FromHours(1).TotalMilliseconds, price: 0.01));
        var refused = worker.ExpectMsg<WorkerRefused>();
        Assert.Contains("stale", refused.Reason);

        registry.Tell(Profile(key, worker.Ref, now));
        worker.ExpectMsg<WorkerRegistered>();
    }

    [Fact]
    public void A_profile_older_than_the_one_accepted_is_refused_and_the_accepted_one_may_be_sent_again()
    {
        var key = WorkerKey.Generate();
        var profiles = new SignedProfiles(() => ClaimDomain.None, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(2));
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var current = Profile(key, ActorRefs.Nobody, now);
        var earlier = Profile(key, ActorRefs.Nobody, now - 60_000, price: 0.01);
        Assert.Null(profiles.Problem(current, now));
        Assert.Null(profiles.Problem(current, now + 1_000)); // the worker re-registers with the same signed profile
        Assert.Contains("a replay", profiles.Problem(earlier, now + 2_000));
        Assert.Contains("ahead of the coordinator's clock", profiles.Problem(Profile(key, ActorRefs.Nobody, now + 3_600_000), now));
    }

    [Fact]
    public void A_profile_signed_for_another_network_is_refused()
    {
        var key = WorkerKey.Generate();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var onDevnet = new SignedProfiles(() => ClaimDomain.Of(Chain()), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(2));
        Assert.Contains("not signed", onDevnet.Problem(Profile(key, ActorRefs.Nobody, now, network: ClaimDomain.Of(Chain(chainId: 1))), now));
        Assert.Contains("not signed", onDevnet.Problem(Profile(key, ActorRefs.Nobody, now, network: ClaimDomain.None), now));
        Assert.Null(onDevnet.Problem(Profile(key, ActorRefs.Nobody, now, network: ClaimDomain.Of(Chain())), now));
    }

    [Fact]
    public void A_shard_result_or_opening_signed_on_one_network_does_not_verify_on_another()
    {
        var key = WorkerKey.Generate();
        var result = new ShardResultClaim("job-1", 0, 0, 1, "w", Sha256Digest.Of("end"u8), Sha256Digest.Of("root"u8), [1f, 0.5f], ClaimDomain.None);
        var signature = ClaimSigner.Sign(key, result);
        Assert.False(ClaimSigner.Verify(result with { Network = ClaimDomain.Of(Chain()) }, signature, key.Address));
        var opening = new OpeningClaim("job-1", 0, 0, 1, "w", 3, Sha256Digest.Of("s"u8), Sha256Digest.Of("root"u8), ClaimDomain.Of(Chain()));
        Assert.False(ClaimSigner.Verify(opening with { Network = ClaimDomain.Of(Chain(escrow: OtherEscrow)) }, ClaimSigner.Sign(key, opening), key.Address));
    }
}
