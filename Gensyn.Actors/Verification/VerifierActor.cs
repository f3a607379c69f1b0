using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Data;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Verification;

/// <summary>
/// One verifier of a node's pool (<c>/user/verifiers</c>): it judges <see cref="VerifyShard"/> requests with
/// <see cref="ShardJudge"/> on its own training thread, keeping the last job's data and model loaded. States it
/// does not hold are fetched from the requester's blob store first (hash checked). It answers the sender with a
/// <see cref="ShardVerdict"/> and never fails on a worker's input.
/// </summary>
public sealed class VerifierActor : ReceiveActor
{
    private sealed record Fetched(VerifyShard Request, IActorRef ReplyTo, string? Failure) : INoSerializationVerificationNeeded;

    public const string PoolName = "verifiers";

    /// <summary>HOCON: the relative update error a cross-numeric-class replay may show (see SpotCheckVerifier.CalibrateTolerance).</summary>
    public const string ToleranceSetting = "gensyn.cross-class-tolerance";

    private static readonly TimeSpan FetchTimeout = TimeSpan.FromMinutes(2);

    private readonly BlobStore _store;
    private readonly string _dataDirectory;
    private readonly double _tolerance;
    private readonly TrainingThread _thread = new("verifier");
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private (string Key, DatasetSplits Data, TrainingSession Session)? _session;

    public static Props Props(BlobStore store, string dataDirectory) => Akka.Actor.Props.Create(() => new VerifierActor(store, dataDirectory));

    public VerifierActor(BlobStore store, string dataDirectory)
    {
        _store = store;
        _dataDirectory = dataDirectory;
        _tolerance = Context.System.Settings.Config.GetDouble(ToleranceSetting, 1e-5);
        var materializer = Context.Materializer();

        Receive<VerifyShard>(request =>
        {
            var replyTo = Sender;
            var self = Self;
            FetchMissing(request, materializer).ContinueWith(t => new Fetched(request, replyTo,
                t.IsCompletedSuccessfully ? null : t.Exception?.GetBaseException().Message ?? "the states could not be fetched")).PipeTo(self);
        });
        Receive<Fetched>(fetched =>
        {
            var request = fetched.Request;
            if (fetched.Failure is { } failure)
            {
                fetched.ReplyTo.Tell(new ShardVerdict(request.JobId, request.Round, request.Shard, request.Epoch, request.WorkerId,
                    VerdictOutcome.Invalid, $"an opened state could not be fetched: {failure}"));
                return;
            }
            _thread.Run(() => Judge(request)).PipeTo(fetched.ReplyTo, failure: e => new ShardVerdict(request.JobId, request.Round, request.Shard,
                request.Epoch, request.WorkerId, VerdictOutcome.Invalid, $"the answer could not be checked: {e.GetBaseException().Message}"));
        });
    }

    protected override void PreStart() => _thread.WarmUp();

    protected override void PostStop()
    {
        _thread.Run(() =>
        {
            _session?.Session.Dispose();
            _session?.Data.Dispose();
            return true;
        });
        _thread.Dispose();
    }

    private ShardVerdict Judge(VerifyShard request)
    {
        var (session, examples) = Session(request);
        var verdict = ShardJudge.Judge(request, session, examples, _store.Get, _tolerance);
        _log.Info("Verified {0} round {1} shard {2} from worker {3} in {4:F2} s: {5}", request.JobId, request.Round, request.Shard, request.WorkerId,
            verdict.VerifySeconds, verdict.Outcome);
        return verdict;
    }

    /// <summary>The job's data and model, kept while consecutive requests belong to the same job (training thread only).</summary>
    private (TrainingSession Session, long Examples) Session(VerifyShard request)
    {
        var key = request.BaseDirectory + "\n" + request.SpecYaml;
        if (_session is not { } cached || cached.Key != key)
        {
            _session?.Session.Dispose();
            _session?.Data.Dispose();
            _session = null;
            var spec = JobSpecParser.Parse(request.SpecYaml, request.BaseDirectory);
            var data = DatasetLoader.Load(spec, _dataDirectory);
            _session = (key, data, new TrainingSession(spec, data));
        }
        return (_session.Value.Session, _session.Value.Data.Train.Count);
    }

    /// <summary>Brings every state the request names into the local store (they are usually there already: the same node received them).</summary>
    private async Task FetchMissing(VerifyShard request, IMaterializer materializer)
    {
        var needed = new List<Sha256Digest> { request.StartState, request.EndState };
        needed.AddRange((request.Leaves ?? []).Where(l => l?.State is not null).Select(l => l.State!.Value));
        foreach (var hash in needed.Distinct().Where(h => !_store.Contains(h)))
            _store.Put(hash, await BlobTransfer.Fetch(request.Blobs, hash, materializer, FetchTimeout));
    }
}
