using System.Text;
using System.Text.Json;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Serialization;

namespace Gensyn.Tests.Wire;

/// <summary>
/// Job and worker ids are typed (<see cref="JobId"/>, <see cref="WorkerId"/>) but travel and are journaled as the plain
/// strings they were: journals written before read back unchanged, and the same event writes the same bytes.
/// </summary>
public class TypedIdJsonTests(WireFixture fixture) : IClassFixture<WireFixture>
{
    private static readonly DateTimeOffset At = new(2025, 3, 14, 15, 9, 26, 535, TimeSpan.FromHours(2));
    private static readonly Sha256Digest Digest = Sha256Digest.Of("a"u8);

    // The records as they were declared before the ids were typed, to compare their JSON with the typed records'.
    private sealed record StringShardAssigned(int Round, int Shard, int Epoch, string WorkerId, DateTimeOffset At);

    private sealed record StringJobCataloged(string JobId, DateTimeOffset At);

    private sealed record StringShardSnapshot(int Shard, int Epoch, string? WorkerId, bool Done, Sha256Digest? EndState,
        Sha256Digest? MerkleRoot, double MeanLoss, Sha256Digest? Checkpoint = null, int CheckpointStep = 0,
        IReadOnlyList<string>? FailedWorkers = null, IReadOnlyDictionary<int, string>? Live = null,
        IReadOnlyList<ShardCheckpointSaved>? CheckpointLineage = null);

    private sealed record StringRequestWorkerIds(
        string JobId, int Round, int Shard, IReadOnlyList<string>? Exclude = null);

    private sealed record TypedRequestWorkerIds(
        JobId JobId, int Round, int Shard, IReadOnlyList<WorkerId>? Exclude = null);

    private GensynSerializer Serializer =>
        Assert.IsType<GensynSerializer>(fixture.System.Serialization.FindSerializerForType(typeof(ShardAssigned)));

    private object Read(string json, string manifest) => Serializer.FromBinary(Encoding.UTF8.GetBytes(json), manifest);

    [Fact]
    public void A_journal_event_written_with_string_ids_reads_back_with_the_same_ids()
    {
        const string assigned =
            """{"round":2,"shard":1,"epoch":3,"workerId":"worker-1","at":"2025-03-14T15:09:26.535+02:00"}""";
        var back = Assert.IsType<ShardAssigned>(Read(assigned, nameof(ShardAssigned)));
        Assert.Equal(new ShardAssigned(2, 1, 3, (WorkerId)"worker-1", At), back);

        const string cataloged = """{"jobId":"job-0123abcd","at":"2025-03-14T15:09:26.535+02:00"}""";
        var catalog = Assert.IsType<JobCataloged>(Read(cataloged, nameof(JobCataloged)));
        Assert.Equal(new JobCataloged((JobId)"job-0123abcd", At), catalog);
    }

    [Fact]
    public void A_typed_event_writes_the_bytes_its_string_typed_declaration_wrote()
    {
        var typed = Serializer.ToBinary(new ShardAssigned(2, 1, 3, (WorkerId)"worker-1", At));
        Assert.Equal(Serializer.ToBinary(new StringShardAssigned(2, 1, 3, "worker-1", At)), typed);
        Assert.Equal("""{"round":2,"shard":1,"epoch":3,"workerId":"worker-1","at":"2025-03-14T15:09:26.535+02:00"}""",
            Encoding.UTF8.GetString(typed));

        Assert.Equal(Serializer.ToBinary(new StringJobCataloged("job-0123abcd", At)),
            Serializer.ToBinary(new JobCataloged((JobId)"job-0123abcd", At)));
    }

    [Fact]
    public void Ids_in_lists_dictionaries_and_nullable_fields_keep_their_json()
    {
        var live = new Dictionary<int, WorkerId> { [2] = (WorkerId)"worker-2", [3] = (WorkerId)"worker-3" };
        var typed = new ShardSnapshot(0, 3, (WorkerId)"worker-3", false, Digest, null, 0.5, Digest, 4,
            [(WorkerId)"worker-1", (WorkerId)"worker-0"], live);
        var strings = new StringShardSnapshot(0, 3, "worker-3", false, Digest, null, 0.5, Digest, 4,
            ["worker-1", "worker-0"], new Dictionary<int, string> { [2] = "worker-2", [3] = "worker-3" });
        Assert.Equal(Serializer.ToBinary(strings), Serializer.ToBinary(typed));
        var idle = new ShardSnapshot(1, 0, null, false, null, null, 0);
        Assert.Equal(Serializer.ToBinary(new StringShardSnapshot(1, 0, null, false, null, null, 0)),
            Serializer.ToBinary(idle));

        // A snapshot is read inside its job's snapshot; its ids read back on their own as well (no digests here).
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var back = JsonSerializer.Deserialize<ShardSnapshot>(
            JsonSerializer.Serialize(strings with { EndState = null, Checkpoint = null }, options), options)!;
        Assert.Equal((WorkerId)"worker-3", back.WorkerId);
        Assert.Equal(["worker-1", "worker-0"], back.FailedWorkers!.Select(id => id.Value));
        Assert.Equal(live, back.Live);
        var idleBack = JsonSerializer.Deserialize<ShardSnapshot>(JsonSerializer.Serialize(idle, options), options)!;
        Assert.Null(idleBack.WorkerId);

        Assert.Equal(JsonSerializer.Serialize(new StringRequestWorkerIds("job-0123abcd", 0, 1, ["worker-1"]), options),
            JsonSerializer.Serialize(
                new TypedRequestWorkerIds((JobId)"job-0123abcd", 0, 1, [(WorkerId)"worker-1"]), options));
    }

    [Fact]
    public void A_job_id_used_as_a_dictionary_key_is_written_as_the_plain_property_name()
    {
        var byJob = new Dictionary<JobId, int> { [(JobId)"job-0123abcd"] = 1 };
        var json = JsonSerializer.Serialize(byJob);
        Assert.Equal("""{"job-0123abcd":1}""", json);
        Assert.Equal(byJob, JsonSerializer.Deserialize<Dictionary<JobId, int>>(json));
    }

    [Theory]
    [InlineData("""{"round":2,"shard":1,"epoch":3,"workerId":7,"at":"2025-03-14T15:09:26.535+02:00"}""")]
    [InlineData("""{"round":2,"shard":1,"epoch":3,"workerId":null,"at":"2025-03-14T15:09:26.535+02:00"}""")]
    [InlineData("""{"round":2,"shard":1,"epoch":3,"at":"2025-03-14T15:09:26.535+02:00"}""")]
    public void An_event_whose_worker_id_is_not_a_string_is_refused(string json) =>
        Assert.ThrowsAny<JsonException>(() => Read(json, nameof(ShardAssigned)));

    [Fact]
    public void A_string_becomes_an_id_only_explicitly_and_one_kind_of_id_never_becomes_another()
    {
        foreach (var type in new[] { typeof(JobId), typeof(WorkerId) })
        {
            var conversions = type.GetMethods().Where(m => m.Name is "op_Implicit" or "op_Explicit").ToList();
            Assert.Contains(conversions, m => m.Name == "op_Implicit" && m.ReturnType == typeof(string));
            Assert.Contains(conversions, m => m.Name == "op_Explicit" && m.ReturnType == type);
            Assert.DoesNotContain(conversions, m => m.Name == "op_Implicit" && m.ReturnType == type);
            Assert.All(conversions, m => Assert.DoesNotContain(m.GetParameters(),
                p => p.ParameterType == typeof(JobId) && m.ReturnType == typeof(WorkerId)
                     || p.ParameterType == typeof(WorkerId) && m.ReturnType == typeof(JobId)));
        }
    }

    [Theory]
    [InlineData("worker-1", true)]
    [InlineData("w.2_b", true)]
    [InlineData("", false)]
    [InlineData("-leading-dash", false)]
    [InlineData("has space", false)]
    [InlineData("../etc", false)]
    public void A_worker_id_from_outside_input_follows_the_rule(string text, bool valid)
    {
        Assert.Equal(valid, WorkerId.TryParse(text, out var id));
        Assert.Equal(valid ? text : null, id.Value);
        Assert.False(WorkerId.TryParse(new string('w', 101), out _));
        Assert.True(WorkerId.TryParse(new string('w', 100), out _));
    }

    [Theory]
    [InlineData("job-0123abcd", true)]
    [InlineData("job-1", false)]
    [InlineData("job-0123ABCD", false)]
    [InlineData("worker-1", false)]
    public void A_job_id_from_outside_input_has_the_form_new_ids_have(string text, bool valid)
    {
        Assert.Equal(valid, JobId.TryParse(text, out _));
        Assert.True(JobId.IsWellFormed(JobId.New()));
    }

    [Fact]
    public void A_shard_ref_names_the_job_round_and_shard_as_logs_did()
    {
        var shard = new ShardRef((JobId)"job-0123abcd", 2, 1);
        Assert.Equal("job-0123abcd round 2 shard 1", shard.ToString());
        Assert.Equal(shard, new ShardRef((JobId)"job-0123abcd", 2, 1));
        Assert.NotEqual(shard, new ShardRef((JobId)"job-0123abcd", 1, 2));
    }
}
