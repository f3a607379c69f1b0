using System.Collections.Concurrent;
using Akka.Actor;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Datasets;
using Gensyn.Contracts;
using Gensyn.Contracts.Datasets;
using Gensyn.Contracts.Messages;
using Gensyn.Edge.Auth;
using Gensyn.Edge.Blobs;
using Gensyn.Edge.Limits;
using Gensyn.Edge.Workers;
using Google.Protobuf;

namespace Gensyn.Edge;

/// <summary>
/// What the edge's services share: the coordinator's actors they translate requests into messages for (the jobs gateway and the scheduler,
/// never anything else), its blob store, the edge's certificate fingerprint, the verifier of signed calls and the live worker sessions.
/// </summary>
public sealed class EdgeContext
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long an audit may take: it answers only after replaying every audited result in full.</summary>
    public static readonly TimeSpan AuditTimeout = TimeSpan.FromHours(1);

    private int? _chainId;

    /// <param name="dataDirectory">The coordinator's data directory, where built-in datasets are installed (null: none).</param>
    public EdgeContext(ActorSystem system, IActorRef gateway, IActorRef registry, BlobStore store, string fingerprint, EdgeLimits? limits = null,
        string? dataDirectory = null)
    {
        limits ??= EdgeLimits.From(system.Settings.Config);
        System = system;
        Gateway = gateway;
        Registry = registry;
        Store = store;
        Fingerprint = fingerprint;
        Verifier = new RequestVerifier(fingerprint, () => _chainId, limits.NoncesPerKey);
        Limiter = new EdgeLimiter(limits);
        Uploads = new UploadQuota(store, limits.BlobQuotaBytes);
        Blobs = BlobSettings.From(system.Settings.Config);
        DatasetReads = new DatasetReads(store,
            Contracts.Datasets.PackedDataSettings.From(system.Settings.Config), system);
        PackedData = PackedDataSettings.From(system.Settings.Config);
        Datasets = new BuiltInDatasets(store, dataDirectory, PackedData);
    }

    /// <summary>Which packed-dataset blobs a worker's session may fetch.</summary>
    public DatasetReads DatasetReads { get; }

    /// <summary>The limits on packed datasets a submitted job names.</summary>
    public PackedDataSettings PackedData { get; }

    /// <summary>The built-in datasets this coordinator packs and serves (MNIST).</summary>
    public BuiltInDatasets Datasets { get; }

    public BlobSettings Blobs { get; }

    /// <summary>
    /// The bytes of blob <paramref name="hash"/> to push down a worker's stream with the assignment that names it: when
    /// this coordinator's store holds it, intact, and it is at most <see cref="BlobSettings.PushMaxBytes"/>; null
    /// otherwise (the worker fetches it).
    /// </summary>
    public ByteString? Pushable(Sha256Digest hash)
    {
        if (Blobs.PushMaxBytes <= 0 || !Store.Contains(hash)) return null;
        try
        {
            return new FileInfo(Store.PathOf(hash)).Length <= Blobs.PushMaxBytes
                ? UnsafeByteOperations.UnsafeWrap(Store.Get(hash)) : null;
        }
        catch (Exception e) when (e is BlobException or IOException)
        {
            return null;
        }
    }

    public EdgeLimits Limits => Limiter.Limits;
    public EdgeLimiter Limiter { get; }
    public UploadQuota Uploads { get; }

    public ActorSystem System { get; }
    public IActorRef Gateway { get; }
    public IActorRef Registry { get; }
    public BlobStore Store { get; }
    public string Fingerprint { get; }
    public RequestVerifier Verifier { get; }

    /// <summary>Live worker sessions by their blob token.</summary>
    public ConcurrentDictionary<string, SessionGrant> Sessions { get; } = new();

    /// <summary>The network's chain, or <see cref="NoChain"/>; the chain id that signed calls bind is learnt from it.</summary>
    public async Task<IGensynMessage> NetworkAsync(CancellationToken cancel)
    {
        var answer = await Gateway.Ask<IGensynMessage>(new GetChainInfo(), AskTimeout, cancel);
        _chainId = answer switch
        {
            ChainInfo chain => chain.ChainId,
            NoChain => 0,
            _ => _chainId,
        };
        return answer;
    }

    /// <summary>The chain id signed calls bind, asking the coordinator once if it is not known yet.</summary>
    public async Task EnsureChainIdAsync(CancellationToken cancel)
    {
        if (_chainId is null) await NetworkAsync(cancel);
    }

    public int? ChainId => _chainId;

    /// <summary>The dashboard's sign-in sessions (set when the dashboard is mapped).</summary>
    public Dashboard.DashboardSessions? Dashboard { get; set; }

    /// <summary>The quote page's answer for a spec: the JSON `gensyn quote --json` prints (null: this edge serves no quotes).</summary>
    public QuoteReport? QuoteReport { get; init; }
}

/// <summary>Quotes a spec the way `gensyn quote --json` does, for the dashboard (see <see cref="EdgeOptions.QuoteReport"/>).</summary>
public delegate Task<string> QuoteReport(string specYaml, EdgeContext edge, CancellationToken cancel);
