using Gensyn.Actors.Workers;

namespace Gensyn.Tests.Workers;

/// <summary>A worker id belongs to the first key that registered it.</summary>
public class WorkerIdOwnersTests
{
    private const string A = "0x1111111111111111111111111111111111111111";
    private const string B = "0x2222222222222222222222222222222222222222";

    [Fact]
    public void The_first_key_owns_an_id_and_another_key_is_told_whose_it_is()
    {
        var owners = new WorkerIdOwners();
        Assert.Null(owners.Claim("victim", A));
        Assert.Equal(A, owners.Claim("victim", B));
        Assert.Equal(A, owners.OwnerOf("victim"));
    }

    [Fact]
    public void The_owners_key_may_use_its_id_again_in_any_letter_case()
    {
        var owners = new WorkerIdOwners();
        Assert.Null(owners.Claim("w", A.ToLowerInvariant()));
        Assert.Null(owners.Claim("w", A.ToUpperInvariant().Replace("0X", "0x")));
        Assert.Null(owners.Claim("other", B));
    }

    [Fact]
    public void Ids_are_case_sensitive_and_the_map_forgets_the_oldest_claims_past_its_capacity()
    {
        var owners = new WorkerIdOwners(capacity: 2);
        Assert.Null(owners.Claim("w1", A));
        Assert.Null(owners.Claim("W1", B));
        Assert.Null(owners.Claim("w2", A));
        Assert.Equal(2, owners.Count);
        Assert.Null(owners.OwnerOf("w1"));
        Assert.Equal(B, owners.OwnerOf("W1"));
    }
}
