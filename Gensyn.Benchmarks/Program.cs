using Gensyn.Benchmarks;

// Usage: Gensyn.Benchmarks [trainer|examples|cluster|failures|verification|new-key|verification-overhead|dispute|
//                           settlement|scheduler|quote|quote-savings|campaign|dashboard|edge|edge-blobs|edge-latency|
//                           pack|dataset-upload|torchscript|round-eval|state-digest|outer-compression|
//                           round-phases|commitments|scale|all]
//        (data directory: $GENSYN_DATA_DIR)
// `verification` = the spot-check detection curve + `new-key` (how soon a new key that cheats is caught, per example)
//                  + `verification-overhead` (verifier CPU / training CPU at several k)
//                  + `dispute` (replicated mode: bisection + one refereed step vs a full replay).
// `failures` = `failures-workers` (worker death, real processes) + `failures-recovery` (a long job's recovery, in-process).
// `edge` = `edge-blobs` (blob throughput through the edge, 64 MiB, 512 MiB and 2 GiB, former and current chunking, memory sampled) + `edge-latency` (request latency, 100 callers);
//          both in-process (a coordinator without a chain + its edge), no executable needed.
// `cluster`, `failures`, `quote`, `quote-savings`, `campaign` and `dashboard` run the built Release executable
// (dotnet build Gensyn.Node -c Release first, or set GENSYN_EXE).
var which = args.Length > 0 ? args[0] : "all";
var root = FindRepositoryRoot();
var dataDir = Environment.GetEnvironmentVariable("GENSYN_DATA_DIR") ?? Path.Combine(root, ".gensyn");

if (which is "trainer" or "all")
{
    TrainerOverheadBenchmark.Run(dataDir, Path.Combine(root, "examples", "mnist-mlp.yaml"), steps: 600, repeats: 9, controls: true);
    TrainerOverheadBenchmark.Run(dataDir, Path.Combine(root, "examples", "mnist-cnn.yaml"), steps: 150, repeats: 5);
}
// the trainer against the plain loop for any spec: trainer-spec SPEC [steps] (commit-every as the spec says)
if (which is "trainer-spec")
    TrainerOverheadBenchmark.Run(dataDir, Path.GetFullPath(args[1]), steps: args.Length > 2 ? int.Parse(args[2]) : 600,
        repeats: 5);
if (which is "examples" or "all")
    ExamplesBenchmark.Run(dataDir, root);
if (which is "cluster" or "all")
{
    ClusterBenchmarks.Run(root, dataDir);
    BlobThroughputBenchmark.Run(megabytes: 64, repeats: 5);
}
if (which is "failures" or "failures-workers" or "all")
    FailureBenchmarks.WorkerDeath(root, dataDir);
if (which is "failures" or "failures-recovery" or "all")
    CoordinatorRecoveryBenchmark.Run(root);
if (which is "verification" or "all")
{
    Console.WriteLine("spot-check detection: a worker fakes a fraction f of H = 1000 steps; the verifier replays k sampled steps (10,000 trials each)");
    Gensyn.Training.Verification.DetectionSimulation.PrintCurve(Console.WriteLine);
}
if (which is "verification" or "new-key" or "all")
    NewKeyDetectionBenchmark.Run(root);
// verification-overhead-spec SPEC k,k,... [shards]: the same for any spec (its commit-every included)
if (which is "verification-overhead-spec")
    VerificationOverheadBenchmark.Run(dataDir, Path.GetFullPath(args[1]), args[2].Split(',').Select(int.Parse).ToArray(),
        shards: args.Length > 3 ? int.Parse(args[3]) : 4);
if (which is "verification" or "verification-overhead" or "all")
{
    VerificationOverheadBenchmark.Run(dataDir, Path.Combine(root, "examples", "mnist-mlp.yaml"), samples: [1, 2, 4, 8, 44]);
    VerificationOverheadBenchmark.Run(dataDir, Path.Combine(root, "examples", "mnist-cnn.yaml"), samples: [1, 2, 4, 8], shards: 2);
}
if (which is "verification" or "dispute" or "all")
    DisputeBenchmark.Run(dataDir, Path.Combine(root, "examples", "mnist-mlp.yaml"));
if (which is "settlement") SettlementBenchmark.Run(); // needs anvil (contracts-sol/build.sh): gas per job + SettlementActor round latency
if (which is "scheduler" or "all") SchedulerBenchmark.Run();
if (which is "pack" or "all") PackBenchmark.Run(dataDir); // packing datasets into chunks, reading them back
if (which is "torchscript" or "all") TorchScriptBenchmark.Run(dataDir, root); // a TorchScript MLP against the built-in mlp
if (which is "edge" or "edge-blobs" or "all") EdgeBlobBenchmark.Run(root);
// a generated CSV packed and uploaded through an in-process edge as `gensyn submit` does, then submitted again [MB of CSV, default 512]
if (which is "dataset-upload" or "all") DatasetUploadBenchmark.Run(root, args.Length > 1 && which == "dataset-upload" ? int.Parse(args[1]) : 512);
if (which is "edge" or "edge-latency" or "all") EdgeLatencyBenchmark.Run(root);
if (which is "quote") QuoteBenchmark.Run(root, dataDir); // real processes on a devnet: quoted vs actual cost and duration of the mnist-mlp example
if (which is "quote-savings") QuoteSavingsBenchmark.Run(root, dataDir); // every shipped example quoted at default asks, saving vs the cloud
// a purge campaign: each cheat on 3 workers (devnet), seeded runs; [--runs N] [--spec FILE] [--behaviors a,b] [--honest-results N] [--minutes N]
//   [--rounds N] [--new-key-samples N] (see docs/benchmarks.md)
if (which is "campaign") CampaignBenchmark.Run(root, dataDir, args[1..]);
// the dashboard in headless Chromium (GENSYN_CHROMIUM, default /usr/bin/chromium): round -> point latency, page weight,
//   coordinator CPU with 20 open job pages vs none
if (which is "dashboard") DashboardBenchmark.Run(root, dataDir);
// the coordinator's per-round test evaluation against the round's training (TrainingCoordinator.Aggregate)
if (which is "round-eval" or "all")
    foreach (var example in new[] { "mnist-mlp.yaml", "mnist-cnn.yaml", "charlm.yaml" })
        RoundEvaluationBenchmark.Run(dataDir, Path.Combine(root, "examples", example));
// hash throughput against thread count: the chunked state digest on 12 and 120 MB against one serial SHA-256
if (which is "state-digest" or "all") StateDigestBenchmark.Run([12, 120]);
// where a round's time goes, phase by phase, and the job against `gensyn train` [--spec FILE] [--workers N]
if (which is "round-phases") RoundPhasesBenchmark.Run(root, dataDir, args[1..]);
// commitment cost (c = 1, the spec's c, c = H), replay and detection per challenge, per example [c,c,... to time more]
if (which is "commitments")
    CommitmentsBenchmark.Run(dataDir, root, args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : null);
// the outer step's payloads under each codec vs per-step synchronization, and per mnist-mlp job, with accuracies
if (which is "outer-compression") OuterCompressionBenchmark.Run(dataDir, root);
// simulated providers through the edges against one coordinator, then two (docs/benchmarks.md, "Scale")
//   [--providers 100,300,1000] [--coordinators 1,2] [--shards 10000] [--jobs 10] [--rounds 10] [--shard-ms 200]
if (which is "scale") Gensyn.Benchmarks.Scale.ScaleBenchmark.Run(root, args[1..]);
// one coordinator of `scale` in its own process (started by it)
if (which is "scale-coordinator") return await Gensyn.Benchmarks.Scale.ScaleCoordinator.Run(args[1..]);
return 0;

static string FindRepositoryRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Gensyn.sln"))) dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("run the benchmarks from inside the repository");
}
