using System.Collections.Concurrent;
using Akka.Actor;
using Akka.TestKit;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Settlement;

/// <summary>The registry refuses a provider while its stake is short (as the chain says) and registers it once the stake is fine.</summary>
public class RegistryStakeTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Contracts.Signing.WorkerKey Key = Contracts.Signing.WorkerKey.Generate();
    private static readonly string Address = Key.Address;
    private static readonly string Short = $"stake of {Address} is 0 GENS, below the minimum of 100 GENS; run `gensyn wallet stake`";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>A stand-in for the chain: answers with whatever <see cref="Problem"/> is now, and records which addresses were asked about.</summary>
    private sealed class FakeStake
    {
        private volatile string? _problem;
        public ConcurrentQueue<string> Asked { get; } = new();
        public string? Problem { get => _problem; set => _problem = value; }

        public Task<string?> Check(string address)
        {
            Asked.Enqueue(address);
            return Task.FromResult(Problem);
        }
    }

    /// <summary>A registration as a worker sends it: its capability profile, signed with its key.</summary>
    private static RegisterWorker Register(IActorRef worker, string id = "worker-1")
    {
        var profile = new RegisterWorker((WorkerId)id, worker, "cpu", 8, 2, "cpu-x64-libtorch2.10-t2", 0.2, Address,
            IssuedAtUnixMs: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return profile with { Signature = Contracts.Signing.ClaimSigner.Sign(Key, Contracts.Signing.CapabilityClaim.From(profile)) };
    }

    /// <summary>Registers the way a worker does, again and again, until the registry answers with a <typeparamref name="T"/>.</summary>
    private static T RegisterUntil<T>(IActorRef registry, TestProbe worker, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            registry.Tell(Register(worker.Ref));
            var reply = worker.ReceiveOne(TimeSpan.FromMilliseconds(250));
            if (reply is T wanted) return wanted;
        }
        throw new Xunit.Sdk.XunitException($"no {typeof(T).Name} within {within}");
    }

    private IReadOnlyList<WorkerView> Workers(IActorRef registry)
    {
        var asker = CreateTestProbe();
        registry.Tell(new ListWorkers(), asker.Ref);
        return asker.ExpectMsg<WorkerList>(Patience).Workers;
    }

    [Fact]
    public void A_provider_with_a_short_stake_is_refused_with_the_reason_and_never_listed()
    {
        var stake = new FakeStake { Problem = Short };
        var registry = Sys.ActorOf(WorkerRegistry.Props(stake.Check));
        var worker = CreateTestProbe();

        var refused = RegisterUntil<WorkerRefused>(registry, worker, Patience);

        Assert.Equal("worker-1", refused.WorkerId);
        Assert.Equal(Short, refused.Reason);
        Assert.Equal(RefusalKind.Temporary, refused.Kind);
        Assert.Contains(Address, stake.Asked);
        Assert.Empty(Workers(registry));

        // It keeps registering, as a worker does: still refused, still not listed, never registered.
        for (var i = 0; i < 5; i++)
        {
            registry.Tell(Register(worker.Ref));
            Assert.Equal(Short, worker.ExpectMsg<WorkerRefused>(Patience).Reason);
        }
        Assert.Empty(Workers(registry));
        // What may still come answers a registration sent while a stake read was slow: a refusal, never a welcome.
        var late = worker.ReceiveWhile(TimeSpan.FromMilliseconds(300), m => m);
        Assert.All(late, m => Assert.Equal(Short, Assert.IsType<WorkerRefused>(m).Reason));
    }

    [Fact]
    public void A_short_stake_keeps_the_worker_from_being_granted_work()
    {
        var stake = new FakeStake { Problem = Short };
        var registry = Sys.ActorOf(WorkerRegistry.Props(stake.Check));
        var worker = CreateTestProbe();
        RegisterUntil<WorkerRefused>(registry, worker, Patience);

        var shard = CreateTestProbe();
        registry.Tell(new RequestWorker((JobId)"job-0123abcd", 0, 0, shard.Ref));

        // The shard hears only why it waits, never a grant.
        Assert.Equal("no worker is registered", shard.ExpectMsg<WorkerWaiting>(Patience).Reason);
        shard.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public void Once_the_stake_is_fine_the_next_registration_is_accepted()
    {
        var stake = new FakeStake { Problem = Short };
        var registry = Sys.ActorOf(WorkerRegistry.Props(stake.Check));
        var worker = CreateTestProbe();
        RegisterUntil<WorkerRefused>(registry, worker, Patience);
        Assert.Empty(Workers(registry));

        stake.Problem = null;

        // A short stake is read again within seconds; the registration after that answer is accepted.
        var registered = RegisterUntil<WorkerRegistered>(registry, worker, Patience);
        Assert.Equal("worker-1", registered.WorkerId);
        AwaitAssert(() =>
        {
            var listed = Assert.Single(Workers(registry));
            Assert.Equal("worker-1", listed.WorkerId);
            Assert.Equal(Address, listed.Address);
        }, Patience);
        Assert.True(stake.Asked.Count >= 2, $"the stake was read {stake.Asked.Count} time(s)");
    }

    [Fact]
    public void No_registration_is_accepted_before_the_chain_has_answered()
    {
        var answer = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var registry = Sys.ActorOf(WorkerRegistry.Props(_ => answer.Task));
        var worker = CreateTestProbe();

        for (var i = 0; i < 3; i++)
        {
            registry.Tell(Register(worker.Ref));
            worker.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        }
        Assert.Empty(Workers(registry));

        answer.SetResult(null);

        RegisterUntil<WorkerRegistered>(registry, worker, Patience);
        Assert.Single(Workers(registry));
    }

    [Fact]
    public void A_profile_that_is_unsigned_or_signed_by_another_key_is_refused_and_never_listed()
    {
        var registry = Sys.ActorOf(WorkerRegistry.Props());
        var worker = CreateTestProbe();
        var honest = Register(worker.Ref);
        registry.Tell(honest with { Signature = null }, worker.Ref);
        Assert.Contains("not signed by the worker's key", worker.ExpectMsg<WorkerRefused>(Patience).Reason);
        // A profile that claims more memory than its key signed for.
        registry.Tell(honest with { MemoryGb = 80 }, worker.Ref);
        Assert.Contains("not signed by the worker's key", worker.ExpectMsg<WorkerRefused>(Patience).Reason);
        Assert.Empty(Workers(registry));

        registry.Tell(honest, worker.Ref);
        worker.ExpectMsg<WorkerRegistered>(Patience);
        Assert.Equal(8, Assert.Single(Workers(registry)).MemoryGb);
        // Once registered, the same signature still does not vouch for another profile.
        registry.Tell(honest with { MemoryGb = 80 }, worker.Ref);
        Assert.Contains("not signed by the worker's key", worker.ExpectMsg<WorkerRefused>(Patience).Reason);
        Assert.Equal(8, Assert.Single(Workers(registry)).MemoryGb);
    }
}
