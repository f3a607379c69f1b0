using Gensyn.Actors.Workers;
using Gensyn.Contracts;

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
        Assert.Null(owners.Claim((WorkerId)"victim", A));
        Assert.Equal(A, owners.Claim((WorkerId)"victim", B));
        Assert.Equal(A, owners.OwnerOf((WorkerId)"victim"));
    }

    [Fact]
    public void The_owners_key_may_use_its_id_again_in_any_letter_case()
    {
        var owners = new WorkerIdOwners();
        Assert.Null(owners.Claim((WorkerId)"w", A.ToLowerInvariant()));
        Assert.Null(owners.Claim((WorkerId)"w", A.ToUpperInvariant().Replace("0X", "0x")));
        Assert.Null(owners.Claim((WorkerId)"other", B));
    }

    [Fact]
    public void Ids_are_case_sensitive_and_the_map_forgets_the_oldest_claims_past_its_capacity()
    {
        var owners = new WorkerIdOwners(capacity: 2);
        Assert.Null(owners.Claim((WorkerId)"w1", A));
        Assert.Null(owners.Claim((WorkerId)"W1", B));
        Assert.Null(owners.Claim((WorkerId)"w2", A));
        Assert.Equal(2, owners.Count);
        Assert.Null(owners.OwnerOf((WorkerId)"w1"));
        Assert.Equal(B, owners.OwnerOf((WorkerId)"W1"));
    }
}
