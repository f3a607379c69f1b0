using System.Collections;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using Gensyn.Actors;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Serialization;

namespace Gensyn.Tests.Wire;

/// <summary>
/// A remoting actor system (so actor refs carry a host:port address), a few real actors to refer to,
/// and a materialized StreamRef, shared by the serializer tests.
/// </summary>
public sealed class WireFixture : IAsyncLifetime
{
    public ActorSystem System { get; private set; } = null!;
    public IActorRef Worker { get; private set; } = null!;
    public IActorRef ShardActor { get; private set; } = null!;
    public IActorRef Blobs { get; private set; } = null!;
    public ISourceRef<ByteString> SourceRef { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        System = ActorSystem.Create(NodeConfig.SystemName, NodeConfig.Remote(logLevel: "WARNING"));
        Worker = System.ActorOf(Props.Empty, "worker");
        ShardActor = System.ActorOf(Props.Empty, "shard-0");
        Blobs = System.ActorOf(Props.Empty, "blobs");
        SourceRef = await Source.Single(ByteString.FromString("x")).RunWith(StreamRefs.SourceRef<ByteString>(), System.Materializer());
    }

    public async Task DisposeAsync() => await System.Terminate();
}

public class GensynSerializerTests(WireFixture fixture) : IClassFixture<WireFixture>
{
    private static readonly Sha256Digest DigestA = Sha256Digest.Of("a"u8);
    private static readonly Sha256Digest DigestB = Sha256Digest.Of("b"u8);
    private static readonly Sha256Digest DigestC = Sha256Digest.Of("c"u8);
    private static readonly DateTimeOffset At = new(2025, 3, 14, 15, 9, 26, 535, TimeSpan.FromHours(2));
    private const string Yaml = "name: wire-test\nmodel: { kind: mlp, hidden: [16] }\n";

    /// <summary>One realistic instance of every message type; a new message type needs one here.</summary>
    private const string Address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

    private static readonly JobPrice Price = new(0.2, 651.5, "the clearing price of 2 idle worker(s) that meet the job's requirements, for 4 shard(s) of demand", 2, 1.0, 35);

    private static readonly SettlementOrder Order = new("0x" + new string('e', 64), (JobId)"job-0123abcd", SettlementKind.PayRound, 0,
        [new SettlementPayee("worker-1", Address, 400_000), new SettlementPayee("worker-2", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", 400_000)], 2, 2);

    private static readonly SettlementOrder Restitution = new("0x" + new string('1', 64), (JobId)"job-0123abcd",
        SettlementKind.Slash, 0, [], 0, 0, Provider: Address, EvidenceHash: "0x" + new string('2', 64),
        Requester: Address, SlashMicros: 96_000, RequesterShareBps: 10_000);

    private static readonly SettlementOrder AuditDeposit = new("0x" + new string('3', 64), (JobId)"job-0123abcd",
        SettlementKind.Deposit, 0, [], 0, 0, Escrow: "0x" + new string('4', 64), DepositMicros: 32_000);

    private static IReadOnlyList<IGensynMessage> Samples(WireFixture f)
    {
        var view = new JobView("job-0123abcd", "mnist-mlp", JobPhase.Running, 1, 3, 2, 8, 1.0, At, null, null, null, null, null, null,
            [new RoundView(0, DigestA.ToString(), DigestB.ToString(), 0.6931, [DigestC.ToString(), DigestA.ToString()], ["worker-1", "worker-2"])],
            [new ShardView(0, "running", "worker-1", 2, 5, 8, 0.5f), new ShardView(1, "waiting", null, 0, 0, 8, null)]);
        var finished = view with
        {
            State = JobPhase.Completed, FinishedAt = At.AddMinutes(3), FinalDigest = DigestC.ToString(), TestAccuracy = 0.9731,
            TestLoss = 0.0874, TestPerplexity = 1.0913, Reason = "done", Shards = [],
            RoundHistory =
                [view.RoundHistory[0] with { TestAccuracy = 0.9731, TestLoss = 0.0874, TestPerplexity = 1.0913 }],
        };
        return
        [
            // Blobs
            new FetchBlob(DigestA),
            new BlobOffer(DigestA, 123_456, f.SourceRef),
            new BlobMissing(DigestA),
            new BlobStored(DigestB),
            new BlobRefused(DigestC, "the bytes received hash to something else"),
            // Journal events
            new JobSubmitted((JobId)"job-0123abcd", Yaml, "/home/alice/jobs", At),
            new JobSubmitted((JobId)"job-0123abcd", Yaml, "/home/alice/jobs", At, Address, 5_000_000, Price),
            new RoundStarted(2, DigestA, [DigestB, DigestC], [1_048_576, 2_097_152], At),
            new ShardAssigned(2, 1, 3, (WorkerId)"worker-1", At),
            new ShardReleased(2, 1, 3, (WorkerId)"worker-1", "the worker's process is gone", At),
            new ShardCompleted(2, 1, 4, (WorkerId)"worker-2", DigestB, DigestC, 0.4321, At),
            new ShardVerified(2, 1, 4, (WorkerId)"worker-2", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", VerdictOutcome.Fraud, "step 17 does not replay", DigestC, "0x" + new string('a', 130), [4, 17], "00ff",
                17, DigestA, DigestB, "0x" + new string('a', 130), null, 12.5, 0.25, At, "127.0.0.1:4053"),
            // A verdict on a signed checkpoint, journalled against its maker.
            new ShardVerified(2, 1, 2, (WorkerId)"worker-0", Address, VerdictOutcome.Fraud,
                "the step-4 checkpoint is wrong: step 4 does not replay", DigestC, "0x" + new string('b', 130),
                [1, 2, 3, 4], "", 4, DigestA, DigestB, "0x" + new string('b', 130), null, 0, 0.75, At, "127.0.0.1:4053", DigestC),
            new ReplicaSealed(2, 1, 5, 1, (WorkerId)"worker-3", DigestB, At),
            new RoundCompleted(2, DigestA, DigestB, 0.3456, At),
            // A round evaluated on the test split where it was aggregated (a language model's has a perplexity).
            new RoundCompleted(2, DigestA, DigestB, 0.3456, At, ["0x" + new string('c', 40)], 0.9125, 0.3071, 1.3595),
            new ShardCheckpointSaved(2, 1, 4, (WorkerId)"worker-2", 50, DigestC, At),
            new ShardCheckpointSaved(2, 1, 4, (WorkerId)"worker-2", 50, DigestC, At,
                "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x" + new string('b', 130)),
            new ShardCheckpointDiscarded(2, 1, DigestC, "blob was corrupt", At),
            new ShardReleased(2, 1, 4, (WorkerId)"worker-2", "busy with another shard", At, CountsAsFailure: false),
            new JobCompleted(DigestA, 803_112, DigestB, 0.9731, 0.0874, 1.0913, At),
            new JobCompleted(DigestA, 803_112, DigestB, 0.9731, 0.0874, null, At),
            new JobSnapshot((JobId)"job-0123abcd", Yaml, "/home/alice/jobs", JobPhase.Running, At, null, null, 2, true, DigestA,
                [DigestB, DigestC], [1_048_576, 2_097_152],
                [new ShardSnapshot(0, 1, (WorkerId)"worker-1", true, DigestB, DigestC, 0.4321), new ShardSnapshot(1, 2, null, false, null, null, 0, DigestA, 50, [(WorkerId)"worker-3", (WorkerId)"worker-4"],
                    null, [new ShardCheckpointSaved(2, 1, 2, (WorkerId)"worker-3", 50, DigestA, At, Address,
                        "0x" + new string('b', 130))])],
                DigestC, [DigestA, DigestB], null,
                [new JobLogEntry(0, At, "submitted"), new JobLogEntry(1, At.AddSeconds(1), "round 0 started")],
                [new RoundView(0, DigestA.ToString(), DigestB.ToString(), 0.6931, [DigestC.ToString(), DigestA.ToString()], ["worker-1", "worker-2"], 0.8, false)],
                new VerificationSnapshot(3, 1, 7, 1, 120.5, 2.25, [(WorkerId)"worker-9"], [new VerdictView(0, 1, 2, "worker-9", VerdictOutcome.Unavailable, "no answer in 60 s", 8)])),
            new JobStateSnapshot((JobId)"job-0123abcd", Yaml, "/home/alice/jobs", JobPhase.Running, At, null, null, Address, 2, true, DigestA,
                [DigestB, DigestC], [1_048_576, 2_097_152], [10, 9],
                [new ShardSnapshot(0, 1, (WorkerId)"worker-1", true, DigestB, DigestC, 0.4321), new ShardSnapshot(1, 2, null, false, null, null, 0, DigestA, 50, [(WorkerId)"worker-3"])],
                DigestC, [DigestA, DigestB], null,
                [new RoundView(0, DigestA.ToString(), DigestB.ToString(), 0.6931, [DigestC.ToString()], ["worker-1"],
                     0.8, false),
                 new RoundView(1, DigestB.ToString(), DigestC.ToString(), 0.5012, [DigestA.ToString()], ["worker-1"],
                     TestAccuracy: 0.9125, TestLoss: 0.3071)],
                new ResultTally(3, 1, 7, 1), [(WorkerId)"worker-9"], [Address.ToLowerInvariant()],
                new SettlementSnapshot(Address, 5_000_000, [new RoundPayees(0, Order.Payees)], [], []), Price),
            // A job a purge went through: the ledger's generations, verdicts, revocations and held orders.
            new JobStateSnapshot((JobId)"job-0123abcd", Yaml, "/home/alice/jobs", JobPhase.Running, At, null, null, Address, 0,
                false, null, [], [], null, [], null, null, null, [], new ResultTally(0, 0, 2, 1), [], [],
                new SettlementSnapshot(Address, 5_000_000, [], [], [], [new RoundGeneration(0, 1)],
                    [new LedgerVerdict(0, 1, 2, "worker-2", Address, true)],
                    [new ResultRevoked(0, 0, 1, (WorkerId)"worker-1", Address, VerdictOutcome.Fraud, "step 4 does not replay",
                        DigestA, "0x" + new string('d', 64), true, At)], [], [Restitution, Order],
                    new LedgerAudit(true, [new AuditRound(0, Address)])), Price),
            new JobFailed("aggregation failed: shard 1's end state is missing", At),
            new JobCancelled("cancelled by the requester", At),
            new KeyConvicted(Address, ConvictionGround.Refusal, "3 challenges in a row left unanswered",
                "0x" + new string('d', 64), At),
            new ResultRevoked(1, 0, 2, (WorkerId)"worker-1", Address, VerdictOutcome.Fraud, "step 4 does not replay", DigestA,
                "0x" + new string('d', 64), true, At),
            new RoundsRolledBack((JobId)"job-0123abcd", 1, "round 1 shard 0 failed its re-verification",
                "0x" + new string('d', 64), [1, 2], DigestA, [DigestB, DigestC], At),
            new RoundsRolledBack((JobId)"job-0123abcd", 0, "round 0 shard 1 failed its re-verification",
                "0x" + new string('d', 64), [0], null, null, At),
            new ReportVerdict((JobId)"job-0123abcd", new ShardVerified(2, 1, 4, (WorkerId)"worker-2", Address,
                VerdictOutcome.Unavailable, "it did not open the challenged steps", DigestC, "0x" + new string('a', 130),
                [4, 17], "00ff", null, null, null, null, null, 12.5, 0.25, At), SessionAlive: true),
            new GetConvictions((JobId)"job-0123abcd"),
            new PurgeKey((JobId)"job-0123abcd", new KeyConvicted(Address, ConvictionGround.Fraud, "fraud in job job-0",
                "0x" + new string('d', 64), At)),
            new ReplayShard((JobId)"job-0123abcd", SpecRef.Of(Yaml), "/home/alice/jobs", 2, 1, DigestA, f.Blobs),
            new ShardReplayed((JobId)"job-0123abcd", 2, 1, DigestB, null, 3.5),
            new ShardReplayed((JobId)"job-0123abcd", 2, 1, null, "the start state could not be fetched", 0),
            new AuditDue(Address, ConvictionGround.Fraud, "fraud in job job-0", "0x" + new string('d', 64), 2, At),
            new JobReopened((JobId)"job-0123abcd", 1, "an audit of key 0x5aae revoked a result in the model",
                "0x" + new string('d', 64), At),
            new AuditJob((JobId)"job-0123abcd"),
            new AuditReport((JobId)"job-0123abcd", [Address], 2, 1),
            new RefusalCharged(Address, "0x" + new string('d', 64), 3, 2, TakesSlash: true, At),
            new RefusalRun(Address, ["gensyn-unavailable|job-0123abcd|round 2|shard 1"], At),
            new GetConvictedKeys(),
            new ConvictedKeys([new KeyConvicted(Address, ConvictionGround.Refusal,
                "3 challenges in a row left unanswered", "0x" + new string('d', 64), At, "job-0123abcd")]),
            // Requester protocol
            new SubmitJob(Yaml, "/home/alice/jobs"),
            new JobAccepted((JobId)"job-0123abcd", "wire-test"),
            new JobRejected(["training.inner-steps: must be >= 1, got 0", "name: must match [a-z0-9-]"]),
            new StartJob((JobId)"job-0123abcd", Yaml, "/home/alice/jobs"),
            new StartJob((JobId)"job-0123abcd", Yaml, "/home/alice/jobs", Address, 5_000_000, Price),
            new QuoteJob(Yaml, "/home/alice/jobs"),
            new GetJobStatus((JobId)"job-0123abcd"),
            new ListJobs(),
            new JobList([view, finished]),
            new CancelJob((JobId)"job-0123abcd", "changed my mind"),
            new JobCancelAccepted((JobId)"job-0123abcd", "cancelled"),
            new GetJobLog((JobId)"job-0123abcd", 3),
            new JobLog((JobId)"job-0123abcd", [new JobLogEntry(3, At, "round 0 started from 0123456789ab"), new JobLogEntry(4, At.AddSeconds(1), "round 0 shard 0 assigned")], JobPhase.Running),
            new GetJobResult((JobId)"job-0123abcd"),
            new UnknownJob((JobId)"job-ffffffff"),
            new RequestFailed("job job-0123abcd is still running", InvalidInput: true),
            view,
            finished with { Price = Price },
            new CatalogJob((JobId)"job-0123abcd"),
            new JobCataloged((JobId)"job-0123abcd", At),
            new JobChanged((JobId)"job-0123abcd", ["round", "verdict"], At),
            new ListJobIds(),
            new JobIdList([(JobId)"job-0123abcd", (JobId)"job-89abcdef"]),
            // Worker protocol
            new RegisterWorker((WorkerId)"worker-1", f.Worker, "cpu", 15.6, 2, "cpu-x64-libtorch2.10-t2", 0.2, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            new RegisterWorker((WorkerId)"worker-1", f.Worker, "cuda", 24, 8, "cpu-x64-libtorch2.10-t8", 0.9, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", 812.5, 940.2,
                "0x" + new string('c', 130), IssuedAtUnixMs: 1_765_000_000_000),
            new GetNetworkMinimums(),
            new NetworkMinimums(16, 50),
            new WorkerRegistered((WorkerId)"worker-1"),
            new WorkerRefused((WorkerId)"worker-1", "worker id must be 1-100 characters and threads 1-1024"),
            new WorkerRefused((WorkerId)"worker-1", "key 0x5aAe is convicted", RefusalKind.Convicted),
            new ShardAssignment((JobId)"job-0123abcd", 2, 1, 3, SpecRef.Of(Yaml), "/home/alice/jobs", DigestA, 1_048_576, f.ShardActor, f.Blobs),
            new ShardAssignment((JobId)"job-0123abcd", 2, 1, 4, SpecRef.Of(Yaml), "/home/alice/jobs", DigestA, 1_048_576, f.ShardActor, f.Blobs, DigestB),
            new ShardAssignment((JobId)"job-0123abcd", 2, 1, 5, SpecRef.Of(Yaml), "/home/alice/jobs", DigestA, 1_048_576,
                f.ShardActor, f.Blobs, Delta: new StartStateDelta(DigestB, DigestA, DigestB)),
            new ShardProgress((JobId)"job-0123abcd", 2, 1, 3, (WorkerId)"worker-1", 5, 0.123456789f),
            new ShardResult((JobId)"job-0123abcd", 2, 1, 3, (WorkerId)"worker-1", DigestA, DigestB, [2.3f, 1.75f, 0.1f, float.Epsilon, 1e-30f, 3.4028235e38f], "0x" + new string('a', 130), 12.5),
            new ShardFailed((JobId)"job-0123abcd", 2, 1, 3, (WorkerId)"worker-1", "out of memory"),
            new AbandonShard((JobId)"job-0123abcd", 2, 1, 3),
            new ListWorkers(),
            new WorkerList([new WorkerView("worker-1", "cpu", 15.6, 2, "cpu-x64-libtorch2.10-t2", 0.2, "busy", 0.75, "job-0123abcd round 2 shard 1", 3),
                            new WorkerView("worker-2", "cpu", 7.8, 1, "cpu-x64-libtorch2.10-t1", 0.1, "idle", 1.0, null, 0)]),
            new RequestWorker((JobId)"job-0123abcd", 2, 1, f.ShardActor),
            new RequestWorker((JobId)"job-0123abcd", 2, 1, f.ShardActor, [(WorkerId)"worker-3"], ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"]),
            new RequestWorker((JobId)"job-0123abcd", 2, 1, f.ShardActor, null, null, new ShardNeeds("cuda", 16, 0.5, "cpu-x64-libtorch2.10-t1")),
            new RequestWorker((JobId)"job-0123abcd", 2, 1, f.ShardActor, [(WorkerId)"worker-3"], ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"], Replicated: true),
            new WorkerWaiting((JobId)"job-0123abcd", 2, 1, "no registered worker meets the job's requirements (none of 3 offers device cuda)"),
            new GetMarket(),
            new PriceJob(new ShardNeeds("any", 0, 0.5), 8),
            Price,
            new JobPrice(0.5, 640, "no registered worker meets the job's requirements: priced at its max-price-per-hour"),
            new MarketView([new MarketClassView("cpu", 3, 2, 5, 0.25, 0.1, 0.2), new MarketClassView("cuda", 1, 0, 4, null, 1.5, 1.5)],
                [new SettlementSettled((JobId)"job-0123abcd", Order.SettlementId, SettlementKind.Complete, SettlementStatus.Confirmed, "0x" + new string('b', 64), 86_519, 4_200_000, "", At)]),
            new GetRecentSettlements(10),
            new RecentSettlements([]),
            new WorkerGranted((WorkerId)"worker-1", f.Worker, 2, "cpu-x64-libtorch2.10-t2", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", 12),
            new WorkerJudged((WorkerId)"worker-1", Accepted: false),
            new WorkerJudged((WorkerId)"worker-1", Accepted: true, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            new WorkerThroughputObserved((WorkerId)"worker-1", 12_800, 1.25, 31.5),
            // Between the registry and the coordinators' schedulers
            new WorkerAdmitted(new RegisterWorker((WorkerId)"worker-1", f.Worker, "cpu", 15.6, 2, "cpu-x64-libtorch2.10-t2", 0.2, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")),
            new WorkerDismissed(f.Worker),
            new WorkerDropped(f.Worker),
            new SchedulerSupply([new WorkerView("worker-2", "cpu", 7.8, 1, "cpu-x64-libtorch2.10-t1", 0.1, "idle", 1.0, null, 0, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", 3, 0, 3, 640, 90)],
                [new QueuedDemand(null, 12), new QueuedDemand(new ShardNeeds("cuda", 16, 0.5), 3)]),
            new SchedulerSupply([], []),
            new RequestsHandedOver([new RequestWorker((JobId)"job-0123abcd", 2, 1, f.ShardActor, [(WorkerId)"worker-3"], ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"], Replicated: true, Preferred: (WorkerId)"worker-1")]),
            new SchedulerRelay(Judged: new WorkerJudged((WorkerId)"worker-1", Accepted: true, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")),
            new SchedulerRelay(Observed: new WorkerThroughputObserved((WorkerId)"worker-1", 12_800, 1.25, 31.5)),
            // Verification
            new OpenSteps((JobId)"job-0123abcd", 2, 1, 3, [4, 17, 60], WithAfter: true),
            new StepsOpened((JobId)"job-0123abcd", 2, 1, 3, (WorkerId)"worker-1",
                [new OpenedLeaf(3, DigestA, new LeafProof(3, 101, [DigestB, DigestC]), DigestC, "0x" + new string('a', 130)), new OpenedLeaf(4, DigestB, new LeafProof(4, 101, [DigestA]), null, "0x" + new string('a', 130))]),
            new PrepareVerification((JobId)"job-0123abcd", SpecRef.Of(Yaml), "/home/alice/jobs", f.Blobs),
            new VerifyShard((JobId)"job-0123abcd", SpecRef.Of(Yaml), "/home/alice/jobs", 2, 1, 3, (WorkerId)"worker-1", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", DigestA, DigestB, DigestC, [4],
                [new OpenedLeaf(0, DigestA, new LeafProof(0, 9, [DigestB]), null, "0x" + new string('a', 130))], CrossClass: false, f.Blobs),
            new VerifyShard((JobId)"job-0123abcd", SpecRef.Of(Yaml), "/home/alice/jobs", 2, 1, 3, (WorkerId)"worker-1", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", DigestA, DigestB, DigestC, [4],
                [], CrossClass: false, f.Blobs, Network: new Gensyn.Contracts.Signing.ClaimDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")),
            new ShardVerdict((JobId)"job-0123abcd", 2, 1, 3, (WorkerId)"worker-1", VerdictOutcome.Accepted, "all 3 challenged steps replay bit for bit", VerifySeconds: 0.25),
            new ShardVerdict((JobId)"job-0123abcd", 2, 1, 3, (WorkerId)"worker-1", VerdictOutcome.Fraud, "step 17 does not replay", 17, DigestA, DigestB, "0x" + new string('a', 130), 0.5, 0.3),
            new VerifyShard((JobId)"job-0123abcd", SpecRef.Of(Yaml), "/home/alice/jobs", 2, 1, 3, (WorkerId)"worker-1",
                Address, DigestA, DigestB, DigestC, [5, 8], [], CrossClass: false, f.Blobs,
                ResumedFrom: [new ShardCheckpointSaved(2, 1, 2, (WorkerId)"worker-0", 4, DigestC, At, Address,
                    "0x" + new string('b', 130))]),
            new ShardVerdict((JobId)"job-0123abcd", 2, 1, 3, (WorkerId)"worker-1", VerdictOutcome.Fraud,
                "the step-4 checkpoint is wrong", 4, DigestA, DigestB, "0x" + new string('b', 130),
                Checkpoint: new ShardCheckpointSaved(2, 1, 2, (WorkerId)"worker-0", 4, DigestC, At, Address,
                    "0x" + new string('b', 130))),
            new ShardSealed((JobId)"job-0123abcd", 2, 1, 3, (WorkerId)"worker-1", DigestC),
            new RevealShard((JobId)"job-0123abcd", 2, 1, 3),
            new BisectQuery((JobId)"job-0123abcd", 2, 1, 3, BisectStep.Children, 4, 1),
            new BisectReply((JobId)"job-0123abcd", 2, 1, 3, (WorkerId)"worker-1", BisectStep.Leaf, DigestA, null, DigestB, new LeafProof(36, 101, [DigestC, DigestA])),
            new RefereeStep((JobId)"job-0123abcd", SpecRef.Of(Yaml), "/home/alice/jobs", 2, 1, 37, DigestA, DigestB, DigestC, DigestA, DigestB, f.Blobs),
            new RefereeVerdict((JobId)"job-0123abcd", 2, 1, "B", "step 37: the replay gives A's digest", 37, DigestB),
            new ReleaseWorker((WorkerId)"worker-1", f.ShardActor, Completed: true),
            new ReleaseWorker(null, f.ShardActor, Completed: false),
            new WorkerLost((WorkerId)"worker-1"),
            new ShardCheckpointed((JobId)"job-0123abcd", 2, 1, 3, (WorkerId)"worker-1", 4, DigestC),
            new ShardCheckpointed((JobId)"job-0123abcd", 2, 1, 3, (WorkerId)"worker-1", 4, DigestC, "0x" + new string('c', 130)),
            // Settlement
            new GetChainInfo(),
            new NoChain("this network does not settle on chain"),
            new ChainInfo("http://127.0.0.1:8545", 31337, Address, Address, Address, true, 10_000_000, Address),
            Order,
            new SettlementSettled((JobId)"job-0123abcd", Order.SettlementId, SettlementKind.PayRound, SettlementStatus.Confirmed, "0x" + new string('b', 64), 103_634, 800_000, "", At),
            new SettlementIntended(Order, At),
            new SettlementIntended(Restitution, At),
            new SettlementIntended(AuditDeposit, At),
            new SettlementOutboxSnapshot([new OutboxEntry(Order, "0x" + new string('b', 64), null),
                new OutboxEntry(Order with { SettlementId = "0x" + new string('f', 64), Kind = SettlementKind.Complete, Payees = [] }, "0x" + new string('c', 64),
                    new SettlementSettled((JobId)"job-0123abcd", "0x" + new string('f', 64), SettlementKind.Complete, SettlementStatus.Confirmed, "0x" + new string('c', 64), 86_519, 4_200_000, "", At))],
                [Order.SettlementId]),
            new SettlementSent(Order.SettlementId, "0x" + new string('b', 64), At),
            new SettlementFinished(new SettlementSettled((JobId)"job-0123abcd", Order.SettlementId, SettlementKind.Slash, SettlementStatus.Reverted, null, 0, 0,
                "ProviderStaking.SlashExceedsStake(requested: 10, slashable: 0)", At)),
            new SettlementPosted(Order, new SettlementSettled((JobId)"job-0123abcd", Order.SettlementId, SettlementKind.PayRound, SettlementStatus.Confirmed,
                "0x" + new string('b', 64), 103_634, 800_000, "", At), At),
            new JobSubmitted((JobId)"job-0123abcd", Yaml, "/home/alice/jobs", At, Address, 5_000_000),
            new JobSnapshot((JobId)"job-0123abcd", Yaml, "/home/alice/jobs", JobPhase.Completed, At, At, null, 0, false, null, [], [], [], DigestA, null, null, [], [], null,
                new SettlementSnapshot(Address, 5_000_000, [new RoundPayees(0, Order.Payees)], [],
                    [new SettlementPosted(Order, new SettlementSettled((JobId)"job-0123abcd", Order.SettlementId, SettlementKind.PayRound, SettlementStatus.Confirmed,
                        "0x" + new string('b', 64), 103_634, 800_000, "", At), At)]), [10, 10, 9], Price),
            new SubmitJob(Yaml, "/home/alice/jobs", (JobId)"job-0123abcd", Address),
            new StartJob((JobId)"job-0123abcd", Yaml, "/home/alice/jobs", Address, 5_000_000),
            finished with
            {
                Money = new MoneyView(Address, 5_000_000, 800_000, 4_200_000,
                    [new SettlementView("round 1 payout", SettlementKind.PayRound, SettlementStatus.Confirmed, "0x" + new string('b', 64), 103_634, 800_000, "",
                        Order.Payees), new SettlementView("slash of " + Address, SettlementKind.Slash, SettlementStatus.Confirmed, "0x" + new string('c', 64), 82_156,
                        10_000_000, "", [], "0x" + new string('d', 64), Address)],
                    ["escrow release"]),
            },
        ];
    }

    public static TheoryData<string> Manifests => new(GensynSerializer.Types.Keys.Order(StringComparer.Ordinal));

    [Fact]
    public void Every_message_type_has_a_sample_and_every_sample_is_a_registered_message_type()
    {
        var sampled = Samples(fixture).Select(m => m.GetType()).ToHashSet();
        var missing = GensynSerializer.Types.Values.Where(t => !sampled.Contains(t)).Select(t => t.Name).Order().ToList();
        var unknown = sampled.Where(t => !GensynSerializer.Types.Values.Contains(t)).Select(t => t.Name).Order().ToList();
        Assert.True(missing.Count == 0, $"message types without a sample in {nameof(GensynSerializerTests)}.{nameof(Samples)}: {string.Join(", ", missing)}");
        Assert.True(unknown.Count == 0, $"samples of types the serializer does not know: {string.Join(", ", unknown)}");
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Every_message_type_round_trips_through_the_gensyn_serializer(string manifest)
    {
        var type = GensynSerializer.Types[manifest];
        var samples = Samples(fixture).Where(m => m.GetType() == type).ToList();
        Assert.True(samples.Count > 0, $"{manifest} has no sample in {nameof(GensynSerializerTests)}.{nameof(Samples)}: add one");

        foreach (var message in samples)
        {
            var serializer = fixture.System.Serialization.FindSerializerFor(message);
            Assert.IsType<GensynSerializer>(serializer);
            Assert.Equal(GensynSerializer.Id, serializer.Identifier);
            var wireManifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
            Assert.Equal(manifest, wireManifest);

            var bytes = serializer.ToBinary(message);
            var back = fixture.System.Serialization.Deserialize(bytes, serializer.Identifier, wireManifest);

            Assert.IsType(type, back);
            Assert.Equal(bytes, serializer.ToBinary(back));
            AssertSameValue(message, back, manifest);
        }
    }

    /// <summary>A diverging run reports NaN or infinite losses; they must still reach the coordinator and the journal.</summary>
    [Fact]
    public void Non_finite_losses_and_metrics_round_trip()
    {
        IGensynMessage[] messages =
        [
            new ShardProgress((JobId)"job-0123abcd", 0, 0, 1, (WorkerId)"worker-1", 3, float.NaN),
            new ShardResult((JobId)"job-0123abcd", 0, 0, 1, (WorkerId)"worker-1", DigestA, DigestB, [1.5f, float.PositiveInfinity, float.NaN, float.NegativeInfinity], "0x" + new string('a', 130)),
            new ShardCompleted(0, 0, 1, (WorkerId)"worker-1", DigestA, DigestB, double.NaN, At),
            new RoundCompleted(0, DigestA, DigestB, double.PositiveInfinity, At),
            new JobCompleted(DigestA, 1, DigestB, 0.1, double.NaN, double.PositiveInfinity, At),
        ];
        foreach (var message in messages)
        {
            var bytes = Serializer.ToBinary(message);
            var back = Serializer.FromBinary(bytes, Serializer.Manifest(message));
            Assert.Equal(bytes, Serializer.ToBinary(back));
            AssertSameValue(message, back, message.GetType().Name);
        }
    }

    [Fact]
    public void Events_journaled_before_the_verifier_id_the_checkpoint_or_the_found_on_chain_flag_read_with_defaults()
    {
        var verified = new ShardVerified(0, 1, 2, (WorkerId)"worker-1", "0x1", VerdictOutcome.Accepted, "ok", DigestA, "0xsig",
            [3], "00", null, null, null, null, null, 1.5, 0.5, At);
        var settled = new SettlementSettled((JobId)"job-0123abcd", "ab", SettlementKind.PayRound, SettlementStatus.Confirmed,
            "0xtx", 21000, 5, "", At);
        foreach (var (message, field) in
                 new (IGensynMessage, string)[]
                 {
                     (verified, "verifierId"), (verified, "checkpoint"), (settled, "foundOnChain"),
                 })
        {
            var json = System.Text.Json.Nodes.JsonNode.Parse(Serializer.ToBinary(message))!.AsObject();
            Assert.True(json.Remove(field), $"{field} is not in a new {message.GetType().Name}");
            var old = Encoding.UTF8.GetBytes(json.ToJsonString());
            AssertSameValue(message, Serializer.FromBinary(old, Serializer.Manifest(message)), message.GetType().Name);
        }
    }

    [Fact]
    public void A_conviction_journalled_before_convictions_named_their_job_still_reads_with_no_job()
    {
        var named = new KeyConvicted(Address, ConvictionGround.Refusal, "3 challenges in a row left unanswered",
            "0x" + new string('d', 64), At, "job-0123abcd");
        var json = System.Text.Json.Nodes.JsonNode.Parse(Serializer.ToBinary(named))!.AsObject();
        Assert.True(json.Remove("job"), "a new KeyConvicted lacks its job");
        var back = Serializer.FromBinary(Encoding.UTF8.GetBytes(json.ToJsonString()), nameof(KeyConvicted));
        AssertSameValue(named with { Job = null }, back, nameof(KeyConvicted));
    }

    [Fact]
    public void A_checkpoint_journalled_before_checkpoints_were_signed_still_reads_with_no_maker_and_no_signature()
    {
        var signed = new ShardCheckpointSaved(2, 1, 4, (WorkerId)"worker-2", 50, DigestC, At,
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x" + new string('b', 130));
        var json = System.Text.Json.Nodes.JsonNode.Parse(Serializer.ToBinary(signed))!.AsObject();
        Assert.True(json.Remove("maker") && json.Remove("signature"), "a new ShardCheckpointSaved lacks maker or signature");
        var old = Encoding.UTF8.GetBytes(json.ToJsonString());
        var back = (ShardCheckpointSaved)Serializer.FromBinary(old, Serializer.Manifest(signed));
        AssertSameValue(signed with { Maker = null, Signature = null }, back, nameof(ShardCheckpointSaved));
    }

    [Fact]
    public void Actor_refs_travel_as_full_remote_paths_and_resolve_to_the_same_actor()
    {
        var message = new RegisterWorker((WorkerId)"worker-1", fixture.Worker, "cpu", 1, 1, "cpu-x64-libtorch2.10-t1", 0.2, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
        var serializer = fixture.System.Serialization.FindSerializerFor(message);

        var json = Encoding.UTF8.GetString(serializer.ToBinary(message));
        var back = (RegisterWorker)((GensynSerializer)serializer).FromBinary(serializer.ToBinary(message), nameof(RegisterWorker));

        var address = ((ExtendedActorSystem)fixture.System).Provider.DefaultAddress;
        Assert.Equal("akka.tcp", address.Protocol);
        Assert.NotNull(address.Port);
        Assert.Contains($"akka.tcp://{NodeConfig.SystemName}@{address.Host}:{address.Port}/user/worker#", json);
        Assert.Equal(fixture.Worker, back.Worker);
    }

    [Fact]
    public void A_message_over_the_size_limit_is_refused_on_serialize_with_its_type_and_size()
    {
        const int errors = 300, length = 1000;
        var message = new JobRejected(Enumerable.Range(0, errors).Select(_ => new string('x', length)).ToList());
        // {"errors":[ + 300 quoted strings + 299 commas + ]}
        const int size = 11 + errors * (length + 2) + (errors - 1) + 2;
        var serializer = fixture.System.Serialization.FindSerializerFor(message);

        var error = Assert.Throws<MessageTooLargeException>(() => serializer.ToBinary(message));

        Assert.Contains(nameof(JobRejected), error.Message);
        Assert.Contains($"{size:N0} bytes", error.Message);
        Assert.Contains($"{GensynSerializer.MaxMessageBytes:N0}-byte", error.Message);
    }

    [Fact]
    public void A_message_of_exactly_the_size_limit_round_trips()
    {
        // {"errors":[" + text + "]} is 15 bytes of JSON around the text.
        var message = new JobRejected([new string('x', GensynSerializer.MaxMessageBytes - 15)]);
        var serializer = fixture.System.Serialization.FindSerializerFor(message);

        var bytes = serializer.ToBinary(message);
        var back = (JobRejected)((GensynSerializer)serializer).FromBinary(bytes, nameof(JobRejected));

        Assert.Equal(GensynSerializer.MaxMessageBytes, bytes.Length);
        Assert.Equal(message.Errors, back.Errors);
    }

    [Fact]
    public void An_incoming_payload_over_the_size_limit_is_refused_before_it_is_parsed()
    {
        var serializer = Serializer;
        var oversized = new byte[GensynSerializer.MaxMessageBytes + 1];

        var error = Assert.Throws<MessageTooLargeException>(() => serializer.FromBinary(oversized, nameof(JobRejected)));

        Assert.Contains(nameof(JobRejected), error.Message);
        Assert.Contains($"{GensynSerializer.MaxMessageBytes + 1:N0} bytes", error.Message);
    }

    [Fact]
    public void An_unknown_manifest_is_refused_with_its_name()
    {
        var serializer = Serializer;

        var error = Assert.Throws<SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "ShutdownEverything"));

        Assert.Contains("unknown", error.Message);
        Assert.Contains("'ShutdownEverything'", error.Message);
    }

    [Fact]
    public void A_null_payload_is_refused_as_empty()
    {
        var serializer = Serializer;

        var error = Assert.Throws<SerializationException>(() => serializer.FromBinary("null"u8.ToArray(), nameof(FetchBlob)));

        Assert.Contains($"a {nameof(FetchBlob)} message was empty", error.Message);
    }

    /// <summary>Peers are untrusted: a message that leaves out a field or nulls a non-nullable one must not arrive with nulls in it.</summary>
    [Theory]
    [InlineData(nameof(RegisterWorker), """{"workerId":"worker-1","device":"cpu","memoryGb":1,"threads":1,"numericClass":"c","pricePerHour":0.1}""")]
    [InlineData(nameof(RegisterWorker), """{"workerId":"worker-1","worker":null,"device":"cpu","memoryGb":1,"threads":1,"numericClass":"c","pricePerHour":0.1}""")]
    [InlineData(nameof(ShardResult), """{"jobId":"job-0123abcd","round":0,"shard":0,"epoch":1,"workerId":"worker-1","endState":"0000000000000000000000000000000000000000000000000000000000000000","merkleRoot":"0000000000000000000000000000000000000000000000000000000000000000"}""")]
    [InlineData(nameof(SubmitJob), """{"baseDirectory":"/tmp"}""")]
    public void A_message_missing_a_required_field_is_refused(string manifest, string json)
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => Serializer.FromBinary(Encoding.UTF8.GetBytes(json), manifest));
    }

    [Fact]
    public void A_digest_that_is_not_64_hex_digits_is_refused()
    {
        var serializer = Serializer;

        var error = Assert.ThrowsAny<System.Text.Json.JsonException>(() => serializer.FromBinary("""{"hash":"abc"}"""u8.ToArray(), nameof(FetchBlob)));

        Assert.Contains("a digest must be 64 hex digits", error.ToString());
    }

    [Fact]
    public void Blob_chunks_are_bound_to_the_byte_string_serializer_and_a_64_KiB_chunk_stays_64_KiB()
    {
        var data = new byte[64 * 1024];
        new Random(42).NextBytes(data);
        var chunk = ByteString.FromBytes(data);

        var serializer = fixture.System.Serialization.FindSerializerFor(chunk);
        var bytes = serializer.ToBinary(chunk);
        var back = fixture.System.Serialization.Deserialize(bytes, serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, chunk));

        Assert.IsType<ByteStringSerializer>(serializer);
        Assert.Equal(ByteStringSerializer.Id, serializer.Identifier);
        Assert.Equal(65536, bytes.Length);
        Assert.Equal(data, bytes);
        Assert.Equal(data, Assert.IsType<ByteString>(back).ToArray());
    }

    /// <summary>The serializer Akka binds to the project's messages.</summary>
    private GensynSerializer Serializer => Assert.IsType<GensynSerializer>(fixture.System.Serialization.FindSerializerForType(typeof(FetchBlob)));

    /// <summary>Compares two messages member by member (lists element by element), naming the first difference.</summary>
    private void AssertSameValue(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
            return;
        }
        switch (expected)
        {
            case string or bool or int or long or float or double or Enum or DateTimeOffset or Sha256Digest:
                Assert.True(expected.Equals(actual), $"{path}: expected {expected}, got {actual}");
                return;
            case IActorRef expectedRef:
                Assert.True(expectedRef.Equals(actual), $"{path}: expected {expectedRef}, got {actual}");
                return;
            case ISourceRef<ByteString> expectedSource:
                var serializer = fixture.System.Serialization.FindSerializerFor(expectedSource);
                Assert.Equal(serializer.ToBinary(expectedSource), serializer.ToBinary(actual));
                return;
            case IEnumerable expectedItems:
                var e = expectedItems.Cast<object?>().ToList();
                var a = Assert.IsAssignableFrom<IEnumerable>(actual).Cast<object?>().ToList();
                Assert.True(e.Count == a.Count, $"{path}: expected {e.Count} items, got {a.Count}");
                for (var i = 0; i < e.Count; i++) AssertSameValue(e[i], a[i], $"{path}[{i}]");
                return;
        }
        var type = expected.GetType();
        Assert.True(type.Namespace?.StartsWith("Gensyn.", StringComparison.Ordinal) == true, $"{path}: no comparison for {type}");
        Assert.IsType(type, actual);
        foreach (var property in type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract"))
            AssertSameValue(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
    }
}
