using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Kinds;
using Gensyn.Actors.Kinds.Training;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Data;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Actors.Verification;

/// <summary>
/// One verifier of a node's pool (<c>/user/verifiers</c>): it judges <see cref="VerifyShard"/> requests with
/// the judge of the job's kind (<see cref="IJobKind.Judge"/>) — and replicated-mode disputes with the
/// <see cref="Referee"/> — on its own training thread, keeping the last job's data and model loaded, the round start
/// states it read, and the chunk lists of the packed datasets it read. States it does not hold are fetched from the
/// requester's blob store first (hash checked). It answers the sender with a
/// <see cref="ShardVerdict"/> and never fails on a worker's input.
/// </summary>
public sealed partial class VerifierActor : ReceiveActor
{
    private sealed record Fetched(VerifyShard Request, IActorRef ReplyTo, string? Failure, string? SpecFailure = null)
        : INoSerializationVerificationNeeded;
    private sealed record FetchedForReferee(RefereeStep Request, IActorRef ReplyTo, string? Failure) : INoSerializationVerificationNeeded;
    private sealed record FetchedForReplay(ReplayShard Request, IActorRef ReplyTo, string? Failure)
        : INoSerializationVerificationNeeded;

    public const string PoolName = "verifiers";

    /// <summary>HOCON: the relative update error a cross-numeric-class replay may show (see SpotCheckVerifier.CalibrateTolerance).</summary>
    public const string ToleranceSetting = "gensyn.cross-class-tolerance";

    private static readonly TimeSpan FetchTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The most datasets whose chunk lists a verifier keeps (all are forgotten past it).</summary>
    private const int KeptChunkLists = 64;

    private readonly BlobStore _store;
    private readonly DataSource _data;
    private readonly Contracts.Datasets.PackedDataSettings _datasets;
    private readonly double _tolerance;
    private readonly TrainingThread _thread = new("verifier");
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<JobKind, IKindJudge> _judges = new();   // training thread only
    private readonly string _id;
    private readonly Address _address;

    /// <summary>The chunks each packed dataset's manifest lists: read once per dataset, not per result.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Sha256Digest, Sha256Digest[]> _chunks = new();

    public static Props Props(BlobStore store, string dataDirectory) => Akka.Actor.Props.Create(() => new VerifierActor(store, dataDirectory));

    public VerifierActor(BlobStore store, string dataDirectory)
    {
        _store = store;
        _datasets = Contracts.Datasets.PackedDataSettings.From(Context.System.Settings.Config);
        _data = new DataSource(dataDirectory,
            Training.Data.Packed.PackedSource.Direct(new BlobStoreChunks(store), _datasets));
        _tolerance = Context.System.Settings.Config.GetDouble(ToleranceSetting, 1e-5);
        _address = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress;
        _id = IdOf(_address);
        var materializer = Context.Materializer();

        Receive<VerifyShard>(request =>
        {
            FetchFor(request, Sender, materializer).PipeTo(Self);
        });
        ReceivePreparation(materializer);
        Receive<RefereeStep>(request =>
        {
            var replyTo = Sender;
            var self = Self;
            Fetch([.. Unread(request.Spec), request.StartState, .. request.BeforeState is { } b ? new[] { b } : []], request.Blobs, materializer)
                .ContinueWith(t =>
                    t.IsCompletedSuccessfully ? FetchDataset(request.Spec, request.Blobs, materializer) : t)
                .Unwrap()
                .ContinueWith(t => new FetchedForReferee(request, replyTo, t.IsCompletedSuccessfully ? null : t.Exception?.GetBaseException().Message ?? "failed")).PipeTo(self);
        });
        Receive<FetchedForReferee>(fetched =>
        {
            var r = fetched.Request;
            if (fetched.Failure is { } failure)
            {
                fetched.ReplyTo.Tell(new RefereeVerdict(r.JobId, r.Round, r.Shard, null,
                    $"the disputed state could not be fetched: {failure}", r.Leaf, null, _id));
                return;
            }
            _thread.Run(() => Referee(r)).PipeTo(fetched.ReplyTo, failure: e =>
                new RefereeVerdict(r.JobId, r.Round, r.Shard, null,
                    $"the step could not be replayed: {e.GetBaseException().Message}", r.Leaf, null, _id));
        });
        Receive<ReplayShard>(request =>
        {
            var (replyTo, self) = (Sender, Self);
            Fetch([.. Unread(request.Spec), request.StartState], request.Blobs, materializer)
                .ContinueWith(t =>
                    t.IsCompletedSuccessfully ? FetchDataset(request.Spec, request.Blobs, materializer) : t)
                .Unwrap().ContinueWith(t =>
                new FetchedForReplay(request,
                replyTo, t.IsCompletedSuccessfully ? null : t.Exception?.GetBaseException().Message ?? "failed"))
                .PipeTo(self);
        });
        Receive<FetchedForReplay>(fetched =>
        {
            var r = fetched.Request;
            if (fetched.Failure is { } failure)
            {
                fetched.ReplyTo.Tell(new ShardReplayed(r.JobId, r.Round, r.Shard, null,
                    $"the spec or the start state could not be fetched: {failure}", 0));
                return;
            }
            _thread.Run(() => Replay(r)).PipeTo(fetched.ReplyTo, failure: e => new ShardReplayed(r.JobId, r.Round,
                r.Shard, null, $"the shard could not be replayed: {e.GetBaseException().Message}", 0));
        });
        Receive<Fetched>(fetched =>
        {
            var request = fetched.Request;
            if (fetched.SpecFailure is { } missing)
            {
                // Not the worker's doing: the job's own blob store could not give its spec.
                fetched.ReplyTo.Tell(new ShardVerdict(request.JobId, request.Round, request.Shard, request.Epoch,
                    request.WorkerId, VerdictOutcome.Inconclusive, $"the job's spec could not be fetched: {missing}"));
                return;
            }
            if (fetched.Failure is { } failure)
            {
                fetched.ReplyTo.Tell(new ShardVerdict(request.JobId, request.Round, request.Shard, request.Epoch, request.WorkerId,
                    VerdictOutcome.Invalid, $"an opened state could not be fetched: {failure}", VerifierId: _id));
                return;
            }
            _thread.Run(() => Judge(request))
                .ContinueWith(t => t.IsCompletedSuccessfully ? Delivered(request, t.Result, materializer) : t)
                .Unwrap()
                .PipeTo(fetched.ReplyTo, failure: e => new ShardVerdict(request.JobId, request.Round, request.Shard,
                request.Epoch, request.WorkerId, VerdictOutcome.Inconclusive,
                $"the verifier failed: {e.GetBaseException().Message}", VerifierId: _id));
        });
    }

    protected override void PreStart() => _thread.WarmUp();

    protected override void PostStop()
    {
        _thread.Run(() =>
        {
            foreach (var judge in _judges.Values) judge.Dispose();
            return true;
        });
        _thread.Dispose();
    }

    private ShardVerdict Judge(VerifyShard request)
    {
        var verdict = Judge(JobKinds.Of(SpecBlobs.Read(request.Spec, _store.Get)))
            .Judge(request, _store.Get, _tolerance, _store.Put);
        _log.Info("Verified {0} round {1} shard {2} from worker {3} in {4:F2} s: {5}", request.JobId, request.Round, request.Shard, request.WorkerId,
            verdict.VerifySeconds, verdict.Outcome);
        return verdict with { VerifierId = _id };
    }

    private RefereeVerdict Referee(RefereeStep r)
    {
        // A dispute replays training steps, with the training judge's session of the job.
        var judge = (TrainingJudge)Judge(TrainingJob.Instance);
        var (session, examples) = judge.Session(r.Spec, r.BaseDirectory, _store.Get);
        var spec = SpecBlobs.Read(r.Spec, _store.Get);
        var task = ShardTask.For(spec, r.Round, r.Shard, examples);
        var start = Gensyn.Training.Checkpoints.CheckpointFile.Deserialize(_store.Get(r.StartState), "the assigned start state").State;
        Gensyn.Training.State.StateSnapshot? before = null;
        if (r.BeforeState is { } blob)
        {
            try
            {
                before = Gensyn.Training.Checkpoints.CheckpointFile.Deserialize(_store.Get(blob), "the opened state").State;
            }
            catch (Exception e) when (e is Gensyn.Training.Checkpoints.CheckpointException or BlobException)
            {
                return new RefereeVerdict(r.JobId, r.Round, r.Shard, null, e.Message, r.Leaf, null, _id);
            }
        }
        var ruling = new Referee(session).Judge(task, new Divergence(r.Leaf, r.AgreedBefore, r.ClaimA, r.ClaimB), start.Digest(), before);
        _log.Info("Refereed {0} round {1} shard {2} step {3}: {4}", r.JobId, r.Round, r.Shard, r.Leaf, ruling.Reason);
        return new RefereeVerdict(r.JobId, r.Round, r.Shard, ruling.Culprit?.ToString(), ruling.Reason, ruling.Step,
            ruling.Expected, _id);
    }

    /// <summary>
    /// What a verdict names its verifier by: the node's cluster address as host:port (what the node's ready file
    /// gives), or the whole address on a node without remoting.
    /// </summary>
    public static string IdOf(Address address) =>
        address.Host is { } host ? $"{host}:{address.Port}" : address.ToString();

    /// <summary>A full re-verification: all of a shard's steps (or batches) run again from its start state, by the
    /// judge of the job's kind, for the root.</summary>
    private ShardReplayed Replay(ReplayShard r)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var root = Judge(JobKinds.Of(SpecBlobs.Read(r.Spec, _store.Get))).Replay(r, _store.Get);
        _log.Info("Replayed {0} round {1} shard {2} in full in {3:F2} s: root {4}", r.JobId, r.Round, r.Shard,
            clock.Elapsed.TotalSeconds, root);
        return new ShardReplayed(r.JobId, r.Round, r.Shard, root, null, clock.Elapsed.TotalSeconds);
    }

    /// <summary>This verifier's judge of <paramref name="kind"/>'s shards, made on first use.</summary>
    private IKindJudge Judge(IJobKind kind)
    {
        if (!_judges.TryGetValue(kind.Kind, out var judge)) _judges[kind.Kind] = judge = kind.Judge(_data);
        return judge;
    }

    /// <summary>Brings the job's spec (if this node has not read it) and then the request's states here.</summary>
    private async Task<Fetched> FetchFor(VerifyShard request, IActorRef replyTo, IMaterializer materializer)
    {
        try
        {
            await Fetch(Unread(request.Spec), request.Blobs, materializer);
            await FetchDataset(request.Spec, request.Blobs, materializer);
        }
        catch (Exception e)
        {
            return new Fetched(request, replyTo, null, e.GetBaseException().Message);
        }
        try
        {
            await FetchMissing(request, materializer);
            return new Fetched(request, replyTo, null);
        }
        catch (Exception e)
        {
            return new Fetched(request, replyTo, e.GetBaseException().Message);
        }
    }

    /// <summary>Brings every state the request names into the local store (they are usually there already: the same node received them).</summary>
    private Task FetchMissing(VerifyShard request, IMaterializer materializer) =>
        Fetch([request.StartState, .. request.EndFromReplay ? Array.Empty<Sha256Digest>() : [request.EndState],
                .. (request.Leaves ?? []).Where(l => l?.State is not null).Select(l => l.State!.Value),
                .. (request.ResumedFrom ?? []).Select(saved => saved.Checkpoint)],
            request.Blobs, materializer);

    /// <summary>The spec's blob, unless this node has read the spec already.</summary>
    private static IEnumerable<Sha256Digest> Unread(SpecRef spec) =>
        JobSpecs.Shared.TryGet(spec) is null ? [spec.Hash] : [];

    /// <summary>
    /// The job's packed dataset, when its spec names one: its manifest, then every chunk it lists that this store lacks
    /// (a verifier may replay any step, and on a coordinator's own node they are all there already).
    /// </summary>
    private async Task FetchDataset(SpecRef spec, IActorRef blobs, IMaterializer materializer)
    {
        var job = JobSpecs.Shared.TryGet(spec) ?? SpecBlobs.Read(spec, _store.Get);
        if (Training.Data.Packed.PackedDataset.DigestOf(job.Dataset) is not { } digest) return;
        await Fetch([digest], blobs, materializer);
        if (!_chunks.TryGetValue(digest, out var chunks))
        {
            var manifest = Training.Data.Packed.PackedDataset.Manifest(digest, new BlobStoreChunks(_store), _datasets);
            if (_chunks.Count >= KeptChunkLists) _chunks.Clear();
            _chunks[digest] = chunks = manifest.AllChunks.Select(c => c.Hash).ToArray();
        }
        await Fetch(chunks, blobs, materializer);
    }

    private async Task Fetch(IEnumerable<Sha256Digest> needed, IActorRef blobs, IMaterializer materializer)
    {
        foreach (var hash in needed.Distinct().Where(h => !_store.Contains(h)))
            await BlobTransfer.FetchInto(blobs, hash, _store, materializer, FetchTimeout);
    }
}
