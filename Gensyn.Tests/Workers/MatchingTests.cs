using Gensyn.Actors.Market;
using Gensyn.Actors.Scheduling;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Workers;

/// <summary>Matching shards to workers by the job's requirements and by price per unit of throughput.</summary>
public class MatchingTests
{
    private const string Class1 = "cpu-x64-libtorch2.10-t1";
    private const string Class2 = "cpu-x64-libtorch2.10-t2";

    private static WorkerEntry<string> Worker(string id, double price = 0.2, double memoryGb = 16, string device = "cpu", string numericClass = Class1,
                                              double throughput = 100, string address = "") =>
        new((WorkerId)id, "ref-" + id, device, memoryGb, 1, numericClass, price, address, throughput);

    private static WorkRequest<string> Request(int shard, ShardNeeds? needs = null, IReadOnlyCollection<string>? excludeAddresses = null) =>
        new((JobId)"job-0123abcd", 0, shard, $"shard-{shard}", null, excludeAddresses, needs);

    private static ShardNeeds Needs(string device = "any", double memoryGb = 0, double maxPrice = 0.5, string? numericClass = null) =>
        new(device, memoryGb, maxPrice, numericClass);

    private static string? Granted(SchedulerState<string> state) => state.Match().SingleOrDefault().Worker?.WorkerId;

    [Fact]
    public void A_shard_goes_only_to_a_worker_with_the_device_kind_it_needs()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("cpu-box"));
        state.Enqueue(Request(0, Needs(device: "cuda")));
        Assert.Null(Granted(state));

        state.Register(Worker("gpu-box", device: "cuda"));
        Assert.Equal("gpu-box", Granted(state));
    }

    [Fact]
    public void A_shard_goes_only_to_a_worker_with_enough_memory()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("small", memoryGb: 8));
        state.Register(Worker("large", memoryGb: 32, price: 0.4));
        state.Enqueue(Request(0, Needs(memoryGb: 16)));
        Assert.Equal("large", Granted(state));
    }

    [Fact]
    public void A_worker_asking_more_than_the_jobs_price_cap_is_never_granted()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("dear", price: 0.9));
        state.Enqueue(Request(0, Needs(maxPrice: 0.5)));
        Assert.Null(Granted(state));
        Assert.Contains("a price of at most 0.5 GENS per hour", state.WhyWaiting(state.Queue[0]));

        state.Register(Worker("fair", price: 0.5));
        Assert.Equal("fair", Granted(state));
    }

    [Fact]
    public void A_numeric_class_requirement_admits_only_workers_of_that_class()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("two-threads", numericClass: Class2));
        state.Enqueue(Request(0, Needs(numericClass: Class1)));
        Assert.Null(Granted(state));
        state.Register(Worker("one-thread", numericClass: Class1));
        Assert.Equal("one-thread", Granted(state));
    }

    [Fact]
    public void The_cheapest_worker_per_unit_of_throughput_is_preferred_over_the_cheapest_per_hour()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("cheap-but-slow", price: 0.10, throughput: 20));    // 0.005 per step/s
        state.Register(Worker("dearer-but-fast", price: 0.30, throughput: 200));  // 0.0015 per step/s
        state.Enqueue(Request(0));
        Assert.Equal("dearer-but-fast", Granted(state));
    }

    [Fact]
    public void Of_two_equally_priced_workers_the_more_reliable_one_is_preferred()
    {
        var state = new SchedulerState<string>();
        var flaky = state.Register(Worker("flaky"));
        flaky.Completed = 1;
        flaky.Released = 3;
        state.Register(Worker("steady"));
        state.Enqueue(Request(0));
        Assert.Equal("steady", Granted(state));
    }

    [Fact]
    public void The_two_replicas_of_a_shard_never_go_to_the_same_provider()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("a-1", address: "0xAAA"));
        state.Register(Worker("a-2", address: "0xaaa"));
        state.Enqueue(Request(0, excludeAddresses: ["0xAaA"]));
        Assert.Null(Granted(state));
        Assert.Contains("excluded", state.WhyWaiting(state.Queue[0]));

        state.Register(Worker("b-1", address: "0xBBB"));
        Assert.Equal("b-1", Granted(state));
    }

    [Fact]
    public void A_waiting_shard_is_told_which_requirement_no_worker_meets_or_that_all_are_busy()
    {
        var state = new SchedulerState<string>();
        state.Enqueue(Request(0, Needs(device: "cuda")));
        Assert.Equal("no worker is registered", state.WhyWaiting(state.Queue[0]));

        state.Register(Worker("cpu-1"));
        state.Register(Worker("cpu-2"));
        Assert.Null(Granted(state));
        Assert.Equal("no registered worker meets the job's requirements (none of 2 offers device cuda)", state.WhyWaiting(state.Queue[0]));

        var other = new SchedulerState<string>();
        other.Register(Worker("cpu-1"));
        other.Enqueue(Request(0, Needs()));
        other.Enqueue(Request(1, Needs()));
        Assert.Single(other.Match());
        Assert.Equal("all 1 worker(s) that meet the job's requirements are busy", other.WhyWaiting(other.Queue[0]));
    }

    [Fact]
    public void A_request_that_no_idle_worker_meets_does_not_block_the_ones_behind_it()
    {
        var state = new SchedulerState<string>();
        state.Register(Worker("cpu-1"));
        state.Enqueue(Request(0, Needs(device: "cuda")));
        state.Enqueue(Request(1, Needs()));
        var grant = Assert.Single(state.Match());
        Assert.Equal("shard-1", grant.Request.Requester);
        Assert.Equal("shard-0", Assert.Single(state.Queue).Requester);
    }

    [Fact]
    public void A_shard_goes_only_to_a_worker_with_the_bandwidth_it_needs_and_says_so_while_it_waits()
    {
        var state = new SchedulerState<string>();
        state.Register(new WorkerEntry<string>((WorkerId)"thin", "ref-thin", "cuda", 24, 1, Class1, 0.2, "", 100, BandwidthMbps: 20));
        var request = Request(0, Needs(device: "cuda") with { MinBandwidthMbps = 50 });
        state.Enqueue(request);
        Assert.Null(Granted(state));
        Assert.Equal("no registered worker meets the job's requirements (none of 1 offers at least 50 Mbps from the coordinators)", state.WhyWaiting(request));

        state.Register(new WorkerEntry<string>((WorkerId)"fat", "ref-fat", "cuda", 24, 1, Class1, 0.2, "", 100, BandwidthMbps: 900));
        Assert.Equal("fat", Granted(state));
    }

    [Fact]
    public void A_cuda_job_needs_at_least_the_networks_gpu_minimums_and_a_cpu_job_only_its_own()
    {
        var minimums = new NetworkMinimums(16, 50);
        JobSpec Spec(string requirements) =>
            JobSpecParser.Parse(TestSpecs.SyntheticYaml() + $"\nrequirements: {requirements}\n", Path.GetTempPath());
        var gpu = NetworkRules.Needs(Spec("{ device: cuda, min-memory-gb: 8 }"), minimums, Class1);
        Assert.Equal((16.0, 50.0), (gpu.MinMemoryGb, gpu.MinBandwidthMbps));
        var bigger = NetworkRules.Needs(Spec("{ device: cuda, min-memory-gb: 40, min-bandwidth-mbps: 200 }"), minimums, Class1);
        Assert.Equal((40.0, 200.0), (bigger.MinMemoryGb, bigger.MinBandwidthMbps));
        var cpu = NetworkRules.Needs(Spec("{ device: cpu }"), minimums, Class1);
        // Only what its small model needs to train, rounded up to the 0.1 GB workers report in.
        Assert.Equal((0.1, 0.0), (cpu.MinMemoryGb, cpu.MinBandwidthMbps));
        Assert.Null(cpu.NumericClass);
    }
}
