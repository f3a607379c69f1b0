using Akka.Actor;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Tests.Workers;

/// <summary>
/// The registry's pure rules: one live process per id, ids owned by keys, limits per key, sane profiles.
/// </summary>
public class RegistryStateTests
{
    private const string Alice = "0xa11ce00000000000000000000000000000000001";
    private const string Bob = "0xb0b0000000000000000000000000000000000002";
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Silent = TimeSpan.FromSeconds(8);

    private static RegistryState<string> State(int maxIdsPerKey = 64, int maxPerMinute = 60) => new(
        new RegistrationRules(new RegistrationLimits(maxIdsPerKey, maxPerMinute)),
        new SignedProfiles(() => ClaimDomain.None, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(2)), Silent);

    [Fact]
    public void A_new_worker_is_admitted_and_its_re_registrations_are_known()
    {
        var state = State();

        var first = state.Admit((WorkerId)"w1", Alice, "proc-1", T0);
        var again = state.Admit((WorkerId)"w1", Alice, "proc-1", T0.AddSeconds(3));

        Assert.Equal((null, false, null), (first.Refusal, first.Known, first.Replaced));
        Assert.Equal((null, true, null), (again.Refusal, again.Known, again.Replaced));
        Assert.Equal(T0.AddSeconds(3), Assert.Single(state.Sessions).LastSeen);
    }

    [Fact]
    public void A_second_process_of_a_live_id_is_refused_and_takes_over_once_the_first_fell_silent()
    {
        var state = State();
        state.Admit((WorkerId)"w1", Alice, "proc-1", T0);

        var early = state.Admit((WorkerId)"w1", Alice, "proc-2", T0 + Silent - TimeSpan.FromSeconds(1));
        var late = state.Admit((WorkerId)"w1", Alice, "proc-2", T0 + Silent);

        Assert.Contains("in use by a live process at proc-1", early.Refusal);
        Assert.Null(late.Refusal);
        Assert.Equal("proc-1", late.Replaced?.Ref);
        Assert.Equal("proc-2", Assert.Single(state.Sessions).Ref);
    }

    [Fact]
    public void An_id_stays_its_first_keys_even_after_its_process_is_gone()
    {
        var state = State();
        state.Admit((WorkerId)"w1", Alice, "proc-1", T0);

        Assert.Equal("w1", state.Remove("proc-1")?.WorkerId);
        var stolen = state.Admit((WorkerId)"w1", Bob, "proc-bob", T0.AddMinutes(5));

        Assert.Contains($"belongs to another key ({Alice})", stolen.Refusal);
        Assert.Empty(state.Sessions);
        Assert.Null(state.Admit((WorkerId)"w1", Alice, "proc-3", T0.AddMinutes(5)).Refusal);
    }

    [Fact]
    public void A_key_gets_at_most_its_ids_and_registrations_a_minute()
    {
        var ids = State(maxIdsPerKey: 2);
        Assert.Null(ids.Admit((WorkerId)"a", Alice, "p-a", T0).Refusal);
        Assert.Null(ids.Admit((WorkerId)"b", Alice, "p-b", T0).Refusal);
        Assert.Contains("at most 2 per key", ids.Admit((WorkerId)"c", Alice, "p-c", T0).Refusal);
        Assert.Null(ids.Admit((WorkerId)"c", Bob, "p-c", T0).Refusal);

        var rate = State(maxPerMinute: 2);
        Assert.Null(rate.Admit((WorkerId)"a", Alice, "p-1", T0).Refusal);
        Assert.Null(rate.Admit((WorkerId)"a", Alice, "p-1", T0).Refusal);        // the same process again: not counted
        Assert.Null(rate.Admit((WorkerId)"b", Alice, "p-2", T0).Refusal);
        Assert.Contains("in the last minute", rate.Admit((WorkerId)"c", Alice, "p-3", T0).Refusal);
        Assert.Null(rate.Admit((WorkerId)"c", Alice, "p-3", T0.AddMinutes(1)).Refusal);
    }

    [Fact]
    public void A_profile_with_bad_figures_or_no_ethereum_address_or_no_signature_is_refused_in_one_line()
    {
        var state = State();
        var profile = new RegisterWorker((WorkerId)"w1", ActorRefs.Nobody, "cpu", 8, 1, "cpu-x64-libtorch2.10-t1", 0.2, Alice,
            640, 100, IssuedAtUnixMs: 1_000);

        Assert.StartsWith("price", state.ProfileProblem(profile with { PricePerHour = double.NaN }, 1_000));
        Assert.Contains("is not an Ethereum address", state.ProfileProblem(profile with { Address = "alice" }, 1_000));
        Assert.Contains("is not signed by the worker's key", state.ProfileProblem(profile, 1_000));
    }
}
