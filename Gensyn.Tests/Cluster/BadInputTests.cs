using System.Text.Json;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Cluster;

/// <summary>Bad input against real coordinator and worker processes.</summary>
[Collection("cluster")]
public class BadInputTests
{
    [Fact]
    public void Requests_for_unknown_jobs_invalid_specs_early_results_and_cancellations_get_clear_errors_and_persist_nothing_bad()
    {
        using var cluster = TestCluster.Start(workers: 1);

        // An invalid spec: exit 2, one line per field, nothing persisted.
        var bad = Path.Combine(cluster.Root, "bad.yaml");
        File.WriteAllText(bad, TestSpecs.SyntheticYaml(rounds: 0, innerSteps: 0));
        var rejected = cluster.Cli("submit", bad);
        Assert.Equal(2, rejected.ExitCode);
        Assert.Contains("training.rounds", rejected.Stderr);
        Assert.Contains("training.inner-steps", rejected.Stderr);
        Assert.DoesNotContain("   at ", rejected.Stderr);
        var empty = cluster.Cli("status", "--json");
        Assert.True(empty.ExitCode == 0, empty.Stderr);
        Assert.Empty(JsonDocument.Parse(empty.Stdout).RootElement.GetProperty("jobs").EnumerateArray());

        // Unknown ids, well-formed or not.
        foreach (var id in new[] { "job-00000000", "no-such-job" })
        {
            var unknown = cluster.Cli("status", id);
            Assert.Equal(2, unknown.ExitCode);
            Assert.Contains($"no job '{id}'", unknown.Stderr);
        }
        Assert.Equal(2, cluster.Cli("cancel", "job-00000000").ExitCode);
        Assert.Equal(2, cluster.Cli("result", "job-00000000").ExitCode);

        // A long job: its result is not ready, cancelling it works once, and watch reports the failure.
        var slow = Path.Combine(cluster.Root, "slow.yaml");
        File.WriteAllText(slow, TestSpecs.SyntheticYaml(rounds: 50, innerSteps: 200));
        var submitted = cluster.Cli("submit", slow, "--json");
        Assert.True(submitted.ExitCode == 0, submitted.Stderr);
        var jobId = JsonDocument.Parse(submitted.Stdout).RootElement.GetProperty("jobId").GetString()!;
        var early = cluster.Cli("result", jobId, "--out", Path.Combine(cluster.Root, "early.safetensors"));
        Assert.Equal(2, early.ExitCode);
        Assert.Contains("gensyn watch", early.Stderr);
        Assert.False(File.Exists(Path.Combine(cluster.Root, "early.safetensors")));

        var cancelled = cluster.Cli("cancel", jobId);
        Assert.True(cancelled.ExitCode == 0, cancelled.Stderr);
        var again = cluster.Cli("cancel", jobId);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already cancelled", again.Stderr);
        var watched = cluster.Cli("watch", jobId, "--json");
        Assert.Equal(1, watched.ExitCode);
        Assert.Equal("cancelled", JsonDocument.Parse(watched.Stdout).RootElement.GetProperty("state").GetString());
        var logs = cluster.Cli("logs", jobId);
        Assert.Contains("cancelled", logs.Stdout);
    }

    [Fact]
    public void No_coordinator_gives_a_clear_error_within_seconds()
    {
        using var temp = new TempDirectory();
        var port = LocalCluster.FreePort();
        var result = Cli.GensynProcess.Run(temp.Path, "status", "--coordinator", $"127.0.0.1:{port}");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no coordinator answered", result.Stderr);
        var malformed = Cli.GensynProcess.Run(temp.Path, "status", "--coordinator", "localhost");
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("HOST:PORT", malformed.Stderr);
    }
}
