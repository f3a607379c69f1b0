using System.Security.Cryptography;
using Gensyn.Actors;
using Gensyn.Actors.Workers;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Edge.Blobs;
using Gensyn.Edge.Client;
using Gensyn.Edge.Wire;
using Gensyn.Edge.Workers;
using Google.Protobuf;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

using Gensyn.Tests.Cluster;

namespace Gensyn.Tests.Security;

public partial class EdgeAttackTests
{
    // ---- C1: a worker cannot report for another worker's shard

    [Fact]
    public async Task A_rogue_workers_results_failures_and_openings_for_another_workers_shard_are_dropped_and_the_job_completes_with_the_honest_results()
    {
        var (rogue, _) = await edge.Welcomed(WorkerKey.Generate(), "rogue-forger");
        await using var forger = rogue;
        var job = await edge.Submit(edge.Payer, TestSpecs.SyntheticYaml(rounds: 2, shards: 2, innerSteps: 8));

        var forged = new HashSet<(int, int, int)>();
        var seen = 0;
        async Task Forge(int round, int shard, int epoch)
        {
            if (!forged.Add((round, shard, epoch))) return;
            var at = WorkerWire.Ref(job, round, shard, epoch);
            // Under the old design each of these reached the ShardActor: a fake failure reassigns the honest worker's shard, a fake
            // result with the stored start state as its end state is paid for no work.
            await rogue.Send(new V1.WorkerMessage { Failed = new V1.ShardFailed { Shard = at, Reason = "forged failure" } });
            await rogue.Send(new V1.WorkerMessage
            {
                Result = new V1.ShardResult
                {
                    Shard = at, EndState = RawSession.RandomHash(), MerkleRoot = RawSession.RandomHash(), Losses = { 0.01f, 0.01f },
                    Signature = "0x" + new string('1', 130), TrainSeconds = 0.1,
                },
            });
            await rogue.Send(new V1.WorkerMessage { Opened = new V1.StepsOpened { Shard = at } });
            await rogue.Send(new V1.WorkerMessage { Sealed = new V1.ShardSealed { Shard = at, Seal = RawSession.RandomHash() } });
            await rogue.Send(new V1.WorkerMessage { Progress = new V1.ShardProgress { Shard = at, Step = 999, Loss = 0 } });
        }
        // Guesses first (the ids a rogue could read from the public summary), then every assignment the honest worker is seen to hold.
        for (var round = 0; round <= 2; round++)
        for (var shard = 0; shard < 2; shard++)
        for (var epoch = 0; epoch <= 2; epoch++)
            await Forge(round, shard, epoch);
        var view = await edge.Finished(job, async running =>
        {
            foreach (var shard in running.Shards.Where(s => s.WorkerId == EdgeFixture.HonestId))
            {
                seen++;
                await Forge(running.Round, shard.Shard, shard.Epoch);
            }
        });

        var log = await edge.Log(job);
        Assert.True(view.State == JobPhase.Completed, $"the job ended {view.State}: {view.Reason}\n{log}");
        Assert.True(seen > 0, "the honest worker was never seen holding a shard, so nothing was forged against a live assignment");
        Assert.Equal(2, view.RoundHistory.Count);
        Assert.All(view.RoundHistory, r => Assert.Equal([EdgeFixture.HonestId, EdgeFixture.HonestId], r.Workers));
        Assert.NotEmpty(view.Verdicts ?? []);
        Assert.All(view.Verdicts ?? [], v => Assert.Equal(EdgeFixture.HonestId, v.WorkerId));
        Assert.All(view.Verdicts ?? [], v => Assert.Equal(VerdictOutcome.Accepted, v.Outcome));
        Assert.Equal(1.0, view.MatchRate);
        // The journal: no assignment of the honest worker ended by the forged failure, no forged result was judged,
        // and nothing was recorded for the rogue.
        var events = edge.JobEvents(job);
        Assert.DoesNotContain(events, e => e.Type == "ShardReleased");
        Assert.All(events.OfKind("ShardVerified"), e => Assert.Equal("accepted", e.Text("outcome")));
        Assert.DoesNotContain(events, e => e.WorkerId == "rogue-forger");
        // Nothing else shows that the messages arrived: the coordinator says it dropped them.
        Assert.Contains(edge.Warnings, w => w.Contains("rogue-forger") && w.Contains(job) && w.Contains("dropped"));
    }

    // ---- A stranger sending an assignment to a worker: the worker has no door

    [Fact]
    public async Task A_worker_node_opens_no_listening_socket_and_runs_a_local_actor_system()
    {
        var before = Listeners.OfThisProcess();
        Assert.Contains(edge.Edge.Port, before);   // the scan sees this process's listeners
        using var directory = new TempDirectory();
        using var link = new WorkerLink([edge.Door], directory.Path);
        await using (var worker = WorkerNode.Start(new WorkerOptions((WorkerId)"no-door", [edge.Door], directory.Path, Threads: 1, PricePerHour: 100), link))
        {
            await edge.WaitForWorker("no-door");
            var opened = Listeners.OfThisProcess();
            opened.ExceptWith(before);
            opened.Remove(edge.Edge.Port);
            Assert.Empty(opened);
            Assert.Contains("Local", worker.System.Settings.ProviderClass);
            Assert.DoesNotContain("Remote", worker.System.Settings.ProviderClass);
        }
        await edge.WaitForNoWorker("no-door");
    }

    // ---- H4: a worker id belongs to the key that registered it

    [Fact]
    public async Task A_worker_id_registered_by_one_key_is_not_taken_over_by_another_key_even_after_its_owner_disconnects()
    {
        var owner = WorkerKey.Generate();
        var thief = WorkerKey.Generate();
        var (victim, _) = await edge.Welcomed(owner, "victim");
        await using (victim)
        {
            await using var whileAlive = await edge.Hello(thief, "victim");
            Assert.Equal(V1.EdgeMessage.BodyOneofCase.Refused, (await whileAlive.Registration()).BodyCase);
        }
        await edge.WaitForNoWorker("victim");

        // Before the fix the id was free again as soon as its owner's session ended (or its process fell silent for 8 s).
        await using var thiefSession = await edge.Hello(thief, "victim");
        var answer = await thiefSession.Registration();
        Assert.True(answer.BodyCase == V1.EdgeMessage.BodyOneofCase.Refused, $"another key took over worker id 'victim': {answer}");
        Assert.DoesNotContain((await edge.ListWorkers()).Workers, w => w.WorkerId == "victim");

        // The owner's key comes back (a restarted process) and gets its id, while the thief's session still knocks.
        var (back, _) = await edge.Welcomed(owner, "victim");
        await using (back)
        {
            await edge.WaitForWorker("victim", w => string.Equals(w.Address, owner.Address, StringComparison.OrdinalIgnoreCase));
            await Task.Delay(TimeSpan.FromSeconds(3.5));   // one re-registration round of both sessions
            var holder = Assert.Single((await edge.ListWorkers()).Workers, w => w.WorkerId == "victim");
            Assert.Equal(owner.Address, holder.Address, ignoreCase: true);
        }
    }

    // ---- Replayed worker handshakes

    [Fact]
    public async Task A_worker_hello_that_signs_another_sessions_challenge_is_refused_and_registers_nothing()
    {
        var key = WorkerKey.Generate();
        // The recording: a hello that answered an earlier session's challenge.
        await using (var earlier = await RawSession.Open(edge.Workers))
        {
            var recorded = RawSession.Hello(key, "replayed-hello", earlier.Nonce, edge.Edge.Fingerprint, earlier.ChainId);
            await using var later = await RawSession.Open(edge.Workers);
            Assert.NotEqual(earlier.Nonce, later.Nonce);
            await later.Send(new V1.WorkerMessage { Hello = recorded });
            Assert.Equal(StatusCode.Unauthenticated, (await later.EndedWith(TimeSpan.FromSeconds(30))).StatusCode);
        }
        // A hello for the right nonce but another edge's certificate is no better.
        await using (var session = await RawSession.Open(edge.Workers))
        {
            var otherEdge = Convert.ToHexStringLower(SHA256.HashData("another edge"u8));
            await session.Send(new V1.WorkerMessage { Hello = RawSession.Hello(key, "replayed-hello", session.Nonce, otherEdge, session.ChainId) });
            Assert.Equal(StatusCode.Unauthenticated, (await session.EndedWith(TimeSpan.FromSeconds(30))).StatusCode);
        }
        // Both hellos were refused before anything reached the registry (the edge checks the signature first), so nothing can still be on its way.
        Assert.DoesNotContain((await edge.ListWorkers()).Workers, w => w.WorkerId == "replayed-hello");
    }

    // ---- C3 for blobs: reads and writes need a session and an assignment

    private static Metadata Session(string token, params (string, string)[] extra)
    {
        var headers = new Metadata { { WorkerEdgeService.SessionHeader, token } };
        foreach (var (name, value) in extra) headers.Add(name, value);
        return headers;
    }

    private async Task<StatusCode> Fetch(Sha256Digest hash, Metadata? headers) => await Refusal(async () =>
    {
        using var call = edge.Workers.FetchBlob(new V1.FetchBlobRequest { Hash = WorkerWire.Bytes(hash) }, headers, Soon);
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
    });

    private async Task<V1.UploadBlobReply> Upload(string token, Sha256Digest name, byte[] bytes)
    {
        using var call = edge.Workers.UploadBlob(Session(token, (WorkerEdgeService.BlobHashHeader, name.ToString()),
            (WorkerEdgeService.BlobSizeHeader, bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            (WorkerEdgeService.BlobOffsetHeader, "0")), Soon);
        try
        {
            await call.RequestStream.WriteAsync(new V1.BlobChunk { Data = ByteString.CopyFrom(bytes) });
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
        {
            // The edge answered (and ended the request stream) before it took the bytes: its answer says why.
        }
        return await call.ResponseAsync;
    }

    [Fact]
    public async Task Blob_reads_need_a_live_session_and_an_assignment_that_names_the_blob_and_uploads_must_hash_to_their_name()
    {
        var done = await edge.Completed(edge.SharedJobId);
        var checkpoint = Sha256Digest.Parse(done.RoundHistory[^1].CheckpointHash);
        Assert.True(edge.Edge.Context.Store.Contains(checkpoint));

        // Before the edge, any peer could fetch any blob by hash from /user/blobs (C3), including every round's checkpoint.
        Assert.Equal(StatusCode.Unauthenticated, await Fetch(checkpoint, null));
        Assert.Equal(StatusCode.Unauthenticated, await Fetch(checkpoint, Session(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)))));
        var (rogue, token) = await edge.Welcomed(WorkerKey.Generate(), "rogue-reader");
        await using (rogue)
        {
            Assert.Equal(StatusCode.PermissionDenied, await Fetch(checkpoint, Session(token)));

            // No assignment, no upload: anyone could fill the store before (H2).
            var junk = RandomNumberGenerator.GetBytes(1024);
            Assert.Equal(StatusCode.PermissionDenied, await Refusal(() => Upload(token, Sha256Digest.Of(junk), junk)));
            Assert.False(edge.Edge.Context.Store.Contains(Sha256Digest.Of(junk)));
            Assert.Equal(StatusCode.Unauthenticated, await Refusal(() => Upload("no-such-session", Sha256Digest.Of(junk), junk)));
        }
        // After its session ends, its token opens nothing.
        Assert.Equal(StatusCode.Unauthenticated, await Fetch(checkpoint, Session(token)));

        // A session that may upload (the honest worker's, which held the job's shards) still cannot store bytes under a name they do not hash to.
        var honest = edge.Edge.Context.Sessions.Values.First(g => g.WorkerId == EdgeFixture.HonestId && g.MayUpload);
        var announced = RandomNumberGenerator.GetBytes(4096);
        var sent = RandomNumberGenerator.GetBytes(4096);
        Assert.Equal(StatusCode.InvalidArgument, await Refusal(() => Upload(honest.Token, Sha256Digest.Of(announced), sent)));
        Assert.False(edge.Edge.Context.Store.Contains(Sha256Digest.Of(announced)));
        Assert.False(edge.Edge.Context.Store.Contains(Sha256Digest.Of(sent)));
        Assert.Equal(0, BlobStreams.Received(edge.Edge.Context.Store, Sha256Digest.Of(announced)));
    }

    // ---- Malformed worker messages

    [Fact]
    public async Task A_session_that_sends_a_malformed_result_is_ended_with_InvalidArgument_and_the_honest_worker_still_completes_jobs()
    {
        var (rogue, _) = await edge.Welcomed(WorkerKey.Generate(), "rogue-malformed");
        await using (rogue)
        {
            await rogue.Send(new V1.WorkerMessage
            {
                Result = new V1.ShardResult
                {
                    Shard = WorkerWire.Ref(edge.SharedJobId, 0, 0, 0), EndState = ByteString.CopyFrom(new byte[5]), MerkleRoot = RawSession.RandomHash(),
                },
            });
            Assert.Equal(StatusCode.InvalidArgument, (await rogue.EndedWith(TimeSpan.FromSeconds(30))).StatusCode);
        }
        await edge.WaitForNoWorker("rogue-malformed");

        var job = await edge.Submit(edge.Payer, TestSpecs.SyntheticYaml(rounds: 1, shards: 1, innerSteps: 4));
        var view = await edge.Completed(job);
        Assert.Equal([EdgeFixture.HonestId], Assert.Single(view.RoundHistory).Workers);
        Assert.Contains((await edge.ListWorkers()).Workers, w => w.WorkerId == EdgeFixture.HonestId);
    }

    // ---- A convicted key is refused for good: the worker stops instead of registering every 3 s forever

    [Fact]
    public async Task A_convicted_keys_worker_is_refused_for_good_over_the_edge_and_gensyn_worker_exits_77()
    {
        using var dir = new TempDirectory();
        var key = WorkerKey.Generate();
        key.Save(Path.Combine(dir.Path, "worker.key"));
        var registry = edge.Coordinator.System.ActorSelection(WorkerRegistry.ServicePath);
        registry.Tell(new ConvictedKeys([new KeyConvicted(key.Address, ConvictionGround.InvalidAnswer,
            "round 1 shard 0: an opening that does not verify", "0xc0ffee", DateTimeOffset.UtcNow)]));
        // Through the same proxy, after the conviction: answered once the registry has it.
        await Akka.Actor.Futures.Ask<WorkerList>(registry, new ListWorkers(), TimeSpan.FromSeconds(30));

        // On the wire: a Refused of kind CONVICTED (an older edge sent none: temporary).
        await using (var raw = await edge.Hello(key, "convicted-raw"))
        {
            var answer = await raw.Registration();
            Assert.True(answer.BodyCase == V1.EdgeMessage.BodyOneofCase.Refused,
                $"a convicted key was not refused: {answer}");
            Assert.Equal(V1.RefusalKind.RefusalConvicted, answer.Refused.Kind);
            Assert.Contains($"key {key.Address} is convicted (an invalid answer", answer.Refused.Reason);
        }

        // The command a provider runs: it stops at the refusal and exits with its own code.
        var root = new System.CommandLine.RootCommand
        {
            Options = { Gensyn.Node.Cli.GlobalOptions.DataDir },
            Subcommands = { Gensyn.Node.Cli.WorkerCommand.Create(cudaAvailable: () => false) },
        };
        var parse = root.Parse(["worker", "--coordinator", edge.Door, "--id", "convicted-cli", "--data-dir", dir.Path]);
        Assert.Empty(parse.Errors);
        var invocation = new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false };
        var exit = await parse.InvokeAsync(invocation).WaitAsync(EdgeFixture.GiveUpAfter);
        Assert.Equal(Gensyn.Node.Cli.ExitCodes.KeyConvicted, exit);
        Assert.DoesNotContain((await edge.ListWorkers()).Workers, w => w.WorkerId == "convicted-cli");
    }
}
