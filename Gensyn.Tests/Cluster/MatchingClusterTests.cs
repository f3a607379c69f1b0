using System.Text.Json;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Node.Cli;
using Gensyn.Tests.Cli;

namespace Gensyn.Tests.Cluster;

/// <summary>Matching through real processes: a job whose requirements no worker meets waits, and says why.</summary>
[Collection("cluster")]
public class MatchingClusterTests
{
    [Fact]
    public async Task A_job_that_needs_a_gpu_waits_on_cpu_workers_and_status_says_which_requirement_is_unmet()
    {
        using var cluster = TestCluster.Start(workers: 1);
        var jobId = cluster.Submit(TestSpecs.SyntheticYaml(rounds: 1, shards: 1) + "\nrequirements: { device: cuda }\nbudget: { max-total: 1 }\n");
        await using (var client = cluster.Client())
        {
            var shard = await cluster.AwaitConditionAsync(async () =>
                await client.Ask(new GetJobStatus((JobId)jobId)) is JobView view ? view.Shards.FirstOrDefault(s => s.Waiting is not null) : null,
                TimeSpan.FromSeconds(60), "the shard to report why it waits");
            Assert.Equal("waiting", shard.State);
            Assert.Equal("no registered worker meets the job's requirements (none of 1 offers device cuda)", shard.Waiting);
        }
        var status = cluster.Cli("status", jobId);
        Assert.Contains("none of 1 offers device cuda", status.Stdout);
        Assert.DoesNotContain(cluster.JobEvents(jobId), e => e.Type == "ShardAssigned");
        // The market sees one idle cpu worker at its ask, and no cpu demand (the shard needs cuda).
        var market = cluster.Cli("market", "--json");
        Assert.True(market.ExitCode == 0, market.Stderr);
        var cpu = Assert.Single(JsonDocument.Parse(market.Stdout).RootElement.GetProperty("classes").EnumerateArray());
        Assert.Equal("cpu", cpu.GetProperty("class").GetString());
        Assert.Equal(1, cpu.GetProperty("idle").GetInt32());
        Assert.Equal(0, cpu.GetProperty("demand").GetInt32());
        var worker = JsonDocument.Parse(cluster.Cli("workers", "--json").Stdout).RootElement.GetProperty("workers")[0];
        Assert.Equal(worker.GetProperty("price").GetDouble(), cpu.GetProperty("clearingPrice").GetDouble());
        Assert.Equal(Gensyn.Node.Market.CloudPrices.Shipped.DefaultAskFor("cpu", null).For(worker.GetProperty("throughput").GetDouble()),
            worker.GetProperty("price").GetDouble());
        Assert.Equal(0, cluster.Cli("cancel", jobId).ExitCode);
    }

    [Fact]
    public void Worker_check_measures_the_machine_and_says_it_is_fit_for_cpu_jobs_only()
    {
        using var dir = new TempDirectory();
        var result = GensynProcess.Run(dir.Path, "worker", "--check", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var report = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.Equal("cpu", report.GetProperty("device").GetString());
        Assert.True(report.GetProperty("referenceStepsPerSecond").GetDouble() > 0);
        Assert.Equal(Gensyn.Node.Market.CloudPrices.Shipped.DefaultAskFor("cpu", null).For(report.GetProperty("referenceStepsPerSecond").GetDouble()),
            report.GetProperty("defaultAsk").GetDouble());
        Assert.True(report.GetProperty("memoryGb").GetDouble() > 0);
        Assert.False(report.GetProperty("gpuJobs").GetBoolean());
        Assert.True(report.GetProperty("cpuJobs").GetBoolean());
        Assert.Equal(JsonValueKind.Null, report.GetProperty("bandwidthMbps").ValueKind);
        Assert.Contains("--coordinator", report.GetProperty("bandwidthUnmeasured").GetString());
    }

    [Fact]
    public void Workers_register_a_signed_profile_with_the_bandwidth_they_measured_and_check_measures_it_against_a_coordinator()
    {
        using var cluster = TestCluster.Start(workers: 1);
        var worker = Assert.Single(JsonDocument.Parse(cluster.Cli("workers", "--json").Stdout).RootElement.GetProperty("workers").EnumerateArray());
        Assert.True(worker.GetProperty("bandwidthMbps").GetDouble() > 0);

        using var dir = new TempDirectory();
        var result = GensynProcess.Run(dir.Path, "worker", "--check", "--json", "--coordinator", cluster.Coordinators);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var report = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.True(report.GetProperty("bandwidthMbps").GetDouble() > 0);
        Assert.Equal(50, report.GetProperty("minimums").GetProperty("gpuBandwidthMbps").GetDouble());
    }
}
