using System.Runtime.CompilerServices;
using System.Text.Json;
using Gensyn.Actors.Jobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Tests.Jobs;

/// <summary>
/// The views of a job (status, status --json, logs) come from its events: the same events give the same status and the
/// same log as the job showed before views were taken out of its state and its snapshots.
/// </summary>
public class JobProjectionTests
{
    private static readonly IReadOnlyDictionary<int, (int Step, float Loss)> Progress =
        new Dictionary<int, (int Step, float Loss)> { [1] = (5, 0.25f) };

    /// <summary>
    /// Status views and logs of <see cref="JobHistories"/> as the job showed them before (its state built the views);
    /// the fixture was written by that version for the same events.
    /// </summary>
    private static JsonElement Before(string name, [CallerFilePath] string here = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(here)!, "Fixtures", "status-before-projection.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty(name);
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Indented JSON, written the way the fixture was read back (through a JsonElement).</summary>
    private static string Json(object value) => value is JsonElement element
        ? JsonSerializer.Serialize(element, Indented)
        : Json(JsonDocument.Parse(JsonSerializer.Serialize(value)).RootElement);

    /// <summary>A view as JSON without the fields added since the fixture was written, which these jobs leave null
    /// (<c>Purges</c>, <c>Audit</c>: neither job was purged or marked).</summary>
    private static string Json(JobView view)
    {
        Assert.Null(view.Purges);
        Assert.Null(view.Audit);
        var node = System.Text.Json.Nodes.JsonNode.Parse(JsonSerializer.Serialize(view))!.AsObject();
        node.Remove(nameof(JobView.Purges));
        node.Remove(nameof(JobView.Audit));
        return Json(JsonDocument.Parse(node.ToJsonString()).RootElement);
    }

    public static TheoryData<string> Histories => ["settled", "failed"];

    private static List<IJobEvent> Events(string name) =>
        name == "settled" ? JobHistories.Settled() : JobHistories.Failed();

    [Theory]
    [MemberData(nameof(Histories))]
    public void The_status_of_a_finished_job_built_from_its_events_is_what_it_showed_before(string name)
    {
        var projection = JobProjection.Of(Events(name));

        Assert.Equal(Json(Before(name).GetProperty("View")), Json(projection.View(Progress)));
    }

    [Theory]
    [MemberData(nameof(Histories))]
    public void The_log_of_a_job_built_from_its_events_is_what_it_showed_before(string name)
    {
        var projection = JobProjection.Of(Events(name));

        Assert.Equal(Json(Before(name).GetProperty("Log")), Json(projection.Log));
    }

    [Theory]
    [MemberData(nameof(Histories))]
    public void The_status_of_an_open_round_with_live_reports_is_what_it_showed_before(string name)
    {
        var projection = JobProjection.Of(Events(name).Take(9));
        var waiting = new Dictionary<int, string> { [1] = "no idle worker" };
        var view = projection.View(Progress, new HashSet<int> { 0 }, waiting);

        Assert.Equal(Json(Before(name + "-open").GetProperty("View")), Json(view));
        Assert.Equal(Json(Before(name + "-open").GetProperty("Log")), Json(projection.Log));
    }

    [Fact]
    public void The_projection_carries_the_same_domain_state_as_folding_the_events_into_the_job_state()
    {
        var events = JobHistories.Settled();

        var state = events.Aggregate(new JobState(), (s, e) => s.Apply(e));

        Assert.Equal(Json(state.ToSnapshot()), Json(JobProjection.Of(events).State.ToSnapshot()));
    }

    [Fact]
    public void Applying_an_event_leaves_the_earlier_projection_as_it_was()
    {
        var events = JobHistories.Settled();
        var earlier = JobProjection.Of(events.Take(5));
        var logged = earlier.Log.Count;
        var phase = earlier.State.Phase;

        var later = events.Skip(5).Aggregate(earlier, (p, e) => p.Apply(e));

        Assert.Equal(logged, earlier.Log.Count);
        Assert.Equal(phase, earlier.State.Phase);
        Assert.Equal(JobPhase.Completed, later.State.Phase);
        Assert.True(later.Log.Count > logged);
    }

    [Fact]
    public void The_status_lists_only_the_latest_verdicts()
    {
        var events = JobHistories.Failed().Take(3).ToList();
        for (var i = 0; i < JobProjection.MaxVerdictsShown + 5; i++)
            events.Add(new ShardVerified(0, 1, 1, (WorkerId)$"w{i}", "", VerdictOutcome.Unavailable, "no answer", default, "0x",
                [], "00",
                null, null, null, null, null, 0, 0, DateTimeOffset.UnixEpoch));

        var projection = JobProjection.Of(events);

        Assert.Equal(JobProjection.MaxVerdictsShown + 5, projection.Verdicts.Count);
        Assert.Equal(projection.Verdicts.TakeLast(JobProjection.MaxVerdictsShown), projection.View(Progress).Verdicts);
    }
}
