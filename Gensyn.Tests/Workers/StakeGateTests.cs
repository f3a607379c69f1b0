using Gensyn.Actors.Workers;

namespace Gensyn.Tests.Workers;

/// <summary>The stake gate's pure rules: when a key's stake is read, and what a registration gets meanwhile.</summary>
public class StakeGateTests
{
    private const string Alice = "0xa11ce00000000000000000000000000000000001";
    private const string Short = "stake below the minimum";
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private sealed record Registration(string Id);

    [Fact]
    public void A_key_never_read_waits_for_one_read_and_goes_through_when_the_chain_answers()
    {
        var gate = new StakeGate<Registration>();
        var first = new Registration("first");

        Assert.Equal((StakeVerdict.Waits, null, true), gate.Check(Alice, first, T0));
        // A read is under way: no second one.
        Assert.Equal((StakeVerdict.Waits, null, false), gate.Check(Alice, first, T0.AddSeconds(1)));
        Assert.Same(first, gate.Answered(Alice, null, T0.AddSeconds(2)));

        Assert.Equal((StakeVerdict.Passes, null, false), gate.Check(Alice.ToUpperInvariant(), first, T0.AddSeconds(3)));
        Assert.Null(gate.Answered(Alice, null, T0.AddSeconds(4)));  // nothing waited this time
    }

    [Fact]
    public void A_short_stake_is_refused_with_the_chains_reason_and_read_again_soon_a_good_one_after_a_minute()
    {
        var gate = new StakeGate<Registration>();
        var registration = new Registration("r");
        gate.Check(Alice, registration, T0);
        gate.Answered(Alice, Short, T0);

        Assert.Equal((StakeVerdict.Refused, Short, false), gate.Check(Alice, registration, T0.AddSeconds(1)));
        Assert.Equal((StakeVerdict.Refused, Short, true), gate.Check(Alice, registration, T0.AddSeconds(3)));

        gate.Answered(Alice, null, T0.AddSeconds(4));
        Assert.Equal((StakeVerdict.Passes, null, false), gate.Check(Alice, registration, T0.AddSeconds(50)));
        Assert.Equal((StakeVerdict.Passes, null, true), gate.Check(Alice, registration, T0.AddSeconds(65)));
    }

    [Fact]
    public void A_failed_read_keeps_what_was_known_drops_the_waiting_registration_and_is_retried_later()
    {
        var gate = new StakeGate<Registration>(retryAfter: TimeSpan.FromSeconds(10));
        var registration = new Registration("r");
        gate.Check(Alice, registration, T0);
        gate.Answered(Alice, null, T0);
        gate.Check(Alice, registration, T0.AddMinutes(2));   // stale: a read starts

        gate.ReadFailed(Alice, T0.AddMinutes(2));

        var failedAt = T0.AddMinutes(2);
        Assert.Equal((StakeVerdict.Passes, null, false), gate.Check(Alice, registration, failedAt.AddSeconds(5)));
        Assert.Equal((StakeVerdict.Passes, null, true), gate.Check(Alice, registration, failedAt.AddSeconds(11)));

        var bob = "0xb0b0000000000000000000000000000000000002";
        gate.Check(bob, registration, T0);
        gate.ReadFailed(bob, T0);
        Assert.Null(gate.Answered(bob, null, T0.AddSeconds(1)));
    }
}
