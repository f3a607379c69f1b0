using Gensyn.Contracts;
using Gensyn.Training.Verification;

namespace Gensyn.Tests.Verification;

public class ReplicaSealTests
{
    private static readonly Sha256Digest Root = Sha256Digest.Of("root of worker-a"u8);
    private static readonly byte[] Salt = Enumerable.Range(0, ReplicaSeal.SaltSize).Select(i => (byte)i).ToArray();

    [Fact]
    public void A_seal_opens_only_for_the_exact_root_salt_and_worker()
    {
        var seal = ReplicaSeal.Seal(Root, Salt, "worker-a");
        Assert.Equal(seal, ReplicaSeal.Seal(Root, Salt, "worker-a"));
        Assert.True(ReplicaSeal.Opens(seal, Root, Salt, "worker-a"));

        Assert.False(ReplicaSeal.Opens(seal, Root with { D = Root.D ^ 1 }, Salt, "worker-a"));
        var otherSalt = Salt.ToArray();
        otherSalt[31] ^= 0x80;
        Assert.False(ReplicaSeal.Opens(seal, Root, otherSalt, "worker-a"));
        Assert.False(ReplicaSeal.Opens(seal, Root, Salt, "worker-b"));
        Assert.False(ReplicaSeal.Opens(seal, Root, Salt, "worker-a "));
        Assert.False(ReplicaSeal.Opens(seal with { A = seal.A ^ 1 }, Root, Salt, "worker-a"));
        Assert.NotEqual(seal, Sha256Digest.Of(Root.ToBytes()));
    }

    [Fact]
    public void A_copycat_cannot_open_its_own_seal_with_the_root_it_copied()
    {
        // B seals a guess before seeing anything; after A reveals, B's copy of A's root (even with A's salt) does not open B's seal.
        var (saltA, saltB) = (ReplicaSeal.NewSalt(), ReplicaSeal.NewSalt());
        var sealA = ReplicaSeal.Seal(Root, saltA, "worker-a");
        var sealB = ReplicaSeal.Seal(Sha256Digest.Of("a guess"u8), saltB, "worker-b");
        Assert.True(ReplicaSeal.Opens(sealA, Root, saltA, "worker-a"));
        Assert.False(ReplicaSeal.Opens(sealB, Root, saltB, "worker-b"));
        Assert.False(ReplicaSeal.Opens(sealB, Root, saltA, "worker-b"));
        // Nor can B pass off A's seal as its own.
        Assert.False(ReplicaSeal.Opens(sealA, Root, saltA, "worker-b"));
    }

    [Fact]
    public void Malformed_openings_are_false_and_fresh_salts_are_random()
    {
        var seal = ReplicaSeal.Seal(Root, Salt, "worker-a");
        Assert.False(ReplicaSeal.Opens(seal, Root, Salt.AsSpan(0, 31), "worker-a"));
        Assert.False(ReplicaSeal.Opens(seal, Root, [.. Salt, 0], "worker-a"));
        Assert.False(ReplicaSeal.Opens(seal, Root, [], "worker-a"));
        Assert.False(ReplicaSeal.Opens(seal, Root, Salt, null));
        Assert.Throws<ArgumentException>(() => ReplicaSeal.Seal(Root, Salt.AsSpan(1), "worker-a"));

        var salts = Enumerable.Range(0, 8).Select(_ => ReplicaSeal.NewSalt()).ToList();
        Assert.All(salts, s => Assert.Equal(ReplicaSeal.SaltSize, s.Length));
        Assert.Equal(salts.Count, salts.Select(Convert.ToHexString).Distinct().Count());
    }
}
