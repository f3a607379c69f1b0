using System.Text.Json;
using Gensyn.Tests.Security;

namespace Gensyn.Tests.Cli;

/// <summary>
/// The gensyn executable against a real edge (<see cref="EdgeFixture"/>: one coordinator that settles on no chain,
/// one worker): what `submit` says about following a job, where it says it, and the screen `watch` ends with.
/// </summary>
[Collection("cluster")]
public sealed class FollowingAJobTests(EdgeFixture edge) : IClassFixture<EdgeFixture>, IDisposable
{
    private readonly TempDirectory _files = new();

    public void Dispose() => _files.Dispose();

    private string Spec()
    {
        var spec = _files.File("job.yaml");
        File.WriteAllText(spec, TestSpecs.SyntheticYaml(rounds: 2, shards: 2, innerSteps: 8));
        return spec;
    }

    [Fact]
    public void Submit_prints_the_job_id_alone_on_stdout_and_how_to_follow_it_on_stderr_and_watch_ends_on_one_screen()
    {
        var requester = _files.File("requester");

        var submitted = GensynProcess.Run(requester, "submit", Spec(), "--coordinator", edge.Door);

        Assert.True(submitted.ExitCode == 0, submitted.Stderr);
        var jobId = Assert.Single(
            submitted.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        foreach (var command in new[] { "watch", "status", "dashboard", "cancel" })
            Assert.Contains($"gensyn {command} {jobId}", submitted.Stderr);

        var watched = GensynProcess.Run(requester, "watch", jobId, "--coordinator", edge.Door);

        Assert.True(watched.ExitCode == 0, watched.Stderr + watched.Stdout);
        var lines = watched.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"job {jobId} (synthetic-test): completed in ", lines[0]);
        Assert.True(lines.Length <= 24, watched.Stdout);
        Assert.Contains("2/2 done", watched.Stdout);
        Assert.Contains($"gensyn result {jobId}", watched.Stdout);
        Assert.Contains($"gensyn dashboard {jobId}", watched.Stdout);

        var money = GensynProcess.Run(requester, "status", jobId, "--money", "--coordinator", edge.Door);
        Assert.True(money.ExitCode == 0, money.Stderr);
        Assert.Contains("no money: the network this job ran on does not settle on chain", money.Stdout);

        var stranger = GensynProcess.Run(_files.File("stranger"), "status", jobId, "--coordinator", edge.Door);
        Assert.True(stranger.ExitCode == 0, stranger.Stderr);
        Assert.Equal($"job {jobId}: completed, round 2/2, match rate 100.0% " +
                     "(the public summary: only the wallet that submitted it sees more)", stranger.Stdout.Trim());
    }

    [Fact]
    public void Submit_with_json_prints_one_json_object_and_no_hints()
    {
        var submitted = GensynProcess.Run(_files.File("scripted"), "submit", Spec(), "--coordinator", edge.Door,
            "--json");

        Assert.True(submitted.ExitCode == 0, submitted.Stderr);
        var jobId = JsonDocument.Parse(submitted.Stdout).RootElement.GetProperty("jobId").GetString();
        Assert.False(string.IsNullOrEmpty(jobId));
        Assert.DoesNotContain("gensyn watch", submitted.Stderr);
        Assert.DoesNotContain("follow it", submitted.Stderr);
    }
}
