using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Gensyn.Actors;
using Gensyn.Actors.Blobs;
using Gensyn.Actors.Jobs;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Training.Training;

namespace Gensyn.Benchmarks;

/// <summary>
/// How long a coordinator takes to bring back a long job: a SQLite journal (the coordinator's own persistence
/// settings from cluster.hocon) holds a job's realistic event history (submission, rounds of 4 shards with
/// assignments, checkpoints every 50 steps, an occasional lost worker and reassignment, completions,
/// aggregations; last event a cancellation, so the recovered job starts no work) and, as the JobActor does,
/// a <see cref="JobStateSnapshot"/> every <see cref="JobActor.SnapshotEvery"/> events. Then the real JobActor is
/// spawned under the job's id in a fresh ActorSystem on that file, and timed from spawn until it answers
/// <see cref="GetJobStatus"/> (it stashes commands until its recovery completes; after a snapshot, the status
/// also waits for the events before it, which the views are built from). The same events without snapshots show
/// what the snapshots save.
/// </summary>
public static class CoordinatorRecoveryBenchmark
{
    private const int Shards = 4;
    private const int InnerSteps = 400;
    private const int CheckpointEvery = 50;
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 0, 0, 0, TimeSpan.Zero);

    private sealed record Variant(string JobId, int Events, bool Snapshots, string What);

    public static void Run(string root) => RunAsync(root).GetAwaiter().GetResult();

    private static async Task RunAsync(string root)
    {
        var events = int.TryParse(Environment.GetEnvironmentVariable("GENSYN_BENCH_RECOVERY_EVENTS"), out var n) && n >= 100 ? n : 10_000;
        var systems = int.TryParse(Environment.GetEnvironmentVariable("GENSYN_BENCH_REPEATS"), out var r) && r > 0 ? Math.Max(r, 3) : 5;
        var dir = Directory.CreateTempSubdirectory("gensyn-bench-recovery-").FullName;
        var journal = Path.Combine(dir, "journal.db");
        var hocon = File.ReadAllText(Path.Combine(root, "cluster.hocon"));
        Console.WriteLine($"  2. coordinator recovery: the real JobActor on a SQLite journal (cluster.hocon's persistence settings), {Shards} shards x {InnerSteps} steps per round, " +
                          $"checkpoint every {CheckpointEvery}; spawn -> first GetJobStatus answer ({systems} fresh ActorSystems, 3 more recoveries in each)");
        try
        {
            // Snapshots land on multiples of 200: N = 10,000 recovers from a snapshot of the last event itself;
            // N + 199 is the worst case, the snapshot then 199 events behind.
            var variants = new List<Variant>
            {
                new("bench-snap-" + events, events, true, $"{events,6:N0} events, snapshots every {JobActor.SnapshotEvery} (last at {events / JobActor.SnapshotEvery * JobActor.SnapshotEvery:N0}: replays {events % JobActor.SnapshotEvery})"),
                new("bench-snap-" + (events + JobActor.SnapshotEvery - 1), events + JobActor.SnapshotEvery - 1, true,
                    $"{events + JobActor.SnapshotEvery - 1,6:N0} events, snapshots every {JobActor.SnapshotEvery} (worst case: replays {JobActor.SnapshotEvery - 1})"),
                new("bench-nosnap-" + events, events, false, $"{events,6:N0} events, no snapshots (replays all)"),
            };

            var write = Stopwatch.StartNew();
            var snapshotBytes = 0L;
            using (var system = ActorSystem.Create(NodeConfig.SystemName, Config(hocon, dir, journal)))
            {
                foreach (var v in variants)
                {
                    var history = History(v.JobId, v.Events);
                    var writer = system.ActorOf(Props.Create(() => new JournalWriter("job-" + v.JobId, v.Snapshots)), "writer-" + v.JobId);
                    var done = await writer.Ask<Written>(new Write(history), TimeSpan.FromMinutes(10));
                    if (done.Error is not null) throw new InvalidOperationException($"writing {v.JobId}'s journal failed: {done.Error}");
                    if (v.Snapshots) snapshotBytes = Math.Max(snapshotBytes, done.LastSnapshotBytes);
                    await writer.GracefulStop(TimeSpan.FromSeconds(30));
                }
                await system.Terminate();
            }
            Console.WriteLine($"     journal written in {write.Elapsed.TotalSeconds:F1} s ({new FileInfo(journal).Length / 1e6:F1} MB, not counted); the last snapshot is " +
                              $"{snapshotBytes / 1e6:F2} MB (domain state only: the views are rebuilt from the events)");

            var cold = variants.ToDictionary(v => v.JobId, _ => new List<double>());
            var warm = variants.ToDictionary(v => v.JobId, _ => new List<double>());
            (string What, double Seconds)? first = null;
            for (var i = 0; i <= systems; i++)
            {
                // Round 0 is the process's first: JIT, the SQL plugin's first queries. Reported apart.
                foreach (var v in (i % 2 == 0 ? variants : Enumerable.Reverse(variants)))
                {
                    using var system = ActorSystem.Create(NodeConfig.SystemName, Config(hocon, dir, journal));
                    using var thread = new TrainingThread("bench-recovery");
                    var store = new BlobStore(Path.Combine(dir, "blobs"));
                    var services = new JobServices(new JobCompute(thread, store, dir), store, ActorRefs.Nobody, ActorRefs.Nobody, ActorRefs.Nobody, ActorRefs.Nobody);
                    var seconds = await Recover(system, services, v);
                    if (i == 0) first ??= (v.What.Trim(), seconds);
                    else cold[v.JobId].Add(seconds);
                    if (i == 0) { await system.Terminate(); continue; }
                    for (var j = 0; j < 3; j++) warm[v.JobId].Add(await Recover(system, services, v));
                    await system.Terminate();
                }
            }
            foreach (var v in variants)
            {
                Console.WriteLine($"     {v.What}:");
                Console.WriteLine($"        fresh ActorSystem (a restarted coordinator's first recovery of the job): median {Ms(Median(cold[v.JobId]))}, " +
                                  $"min {Ms(cold[v.JobId].Min())}, max {Ms(cold[v.JobId].Max())}   (goal < 1 s: {(Median(cold[v.JobId]) < 1 ? "met" : "NOT MET")})");
                Console.WriteLine($"        journal plugin already running: median {Ms(Median(warm[v.JobId]))}, min {Ms(warm[v.JobId].Min())}, max {Ms(warm[v.JobId].Max())}");
            }
            Console.WriteLine($"     this process's very first recovery (JIT, the SQL plugin's first queries; {first!.Value.What}): {Ms(first.Value.Seconds)}");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { }
        }
    }

    /// <summary>The coordinator's own config (cluster.hocon + the SQLite journal), as a plain local ActorSystem.</summary>
    private static Config Config(string hocon, string dir, string journal)
    {
        var options = new CoordinatorOptions("127.0.0.1", 0, [], dir, JournalOptions.Sqlite(journal), hocon);
        return ConfigurationFactory.ParseString("""
                akka.actor.provider = local
                akka.extensions = []
                akka.loglevel = WARNING
                akka.stdout-loglevel = WARNING
                akka.loggers = ["Akka.Event.DefaultLogger, Akka"]
                """)
            .WithFallback(NodeConfig.Coordinator(options));
    }

    private static async Task<double> Recover(ActorSystem system, JobServices services, Variant v)
    {
        // As under sharding, the entity is a child (a fresh parent each time frees its name at once).
        var host = system.ActorOf(Props.Create(() => new Host()));
        var clock = Stopwatch.StartNew();
        var job = await host.Ask<IActorRef>(new Spawn(JobActor.Props(services), v.JobId), TimeSpan.FromSeconds(30));
        var answer = await job.Ask<object>(new GetJobStatus((JobId)v.JobId), TimeSpan.FromMinutes(2));
        var seconds = clock.Elapsed.TotalSeconds;
        if (answer is not JobView { State: JobPhase.Cancelled } view || view.JobId != v.JobId)
            throw new InvalidOperationException($"{v.JobId} recovered as {answer}");
        // Every event left one log line: the last one is there, and nothing after it.
        var tail = await job.Ask<object>(new GetJobLog((JobId)v.JobId, v.Events - 1), TimeSpan.FromSeconds(30));
        if (tail is not JobLog { Entries: [{ Index: var last }] } || last != v.Events - 1)
            throw new InvalidOperationException($"{v.JobId} recovered with a log that does not end at entry {v.Events - 1}");
        await host.GracefulStop(TimeSpan.FromSeconds(30));
        return seconds;
    }

    private sealed record Spawn(Props Props, string Name);

    private sealed class Host : ReceiveActor
    {
        public Host() => Receive<Spawn>(spawn => Sender.Tell(Context.ActorOf(spawn.Props, spawn.Name)));
    }

    private static Sha256Digest D(int i) => Sha256Digest.Of(BitConverter.GetBytes(i));

    public static string Yaml(int rounds) => $$"""
        name: bench-recovery
        model: { kind: mlp, hidden: [16] }
        dataset: { name: synthetic, samples: 512, features: 12, classes: 3 }
        training:
          rounds: {{rounds}}
          shards: {{Shards}}
          inner-steps: {{InnerSteps}}
          batch-size: 16
          seed: 7
          checkpoint-every: {{CheckpointEvery}}
          inner-optimizer: { kind: adamw, lr: 0.01 }
          outer-optimizer: { kind: nesterov, lr: 0.7, momentum: 0.9 }
        """;

    /// <summary>
    /// <paramref name="count"/> events of one job as a JobActor would journal them: rounds of 4 shards on two
    /// workers, a checkpoint every 50 steps, every 5th round a worker lost mid-shard and the shard reassigned;
    /// cut off mid-job by a cancellation (the last event), so a recovered actor starts nothing.
    /// </summary>
    private static List<IJobEvent> History(string jobId, int count)
    {
        var events = new List<IJobEvent>(count);
        var clock = 0;
        DateTimeOffset At() => T0.AddMilliseconds(100 * clock++);
        events.Add(new JobSubmitted((JobId)jobId, Yaml(rounds: 10_000), "/tmp", At()));
        var hash = 1;
        for (var round = 0; events.Count < count - 1; round++)
        {
            events.Add(new RoundStarted(round, D(hash++), Enumerable.Range(0, Shards).Select(_ => D(hash++)).ToList(), Enumerable.Repeat(318_000L, Shards).ToList(), At()));
            var epochs = new int[Shards];
            var workers = new string[Shards];
            for (var s = 0; s < Shards; s++)
            {
                epochs[s] = 1;
                workers[s] = $"worker-{s % 2 + 1}";
                events.Add(new ShardAssigned(round, s, 1, (WorkerId)workers[s], At()));
            }
            for (var step = CheckpointEvery; step < InnerSteps; step += CheckpointEvery)
            {
                for (var s = 0; s < Shards; s++)
                    events.Add(new ShardCheckpointSaved(round, s, epochs[s], (WorkerId)workers[s], step, D(hash++), At()));
                if (round % 5 == 4 && step == 3 * CheckpointEvery)
                {
                    events.Add(new ShardReleased(round, 1, epochs[1], (WorkerId)workers[1], "the worker's process is gone", At()));
                    epochs[1]++;
                    workers[1] = workers[1] == "worker-1" ? "worker-2" : "worker-1";
                    events.Add(new ShardAssigned(round, 1, epochs[1], (WorkerId)workers[1], At()));
                }
            }
            for (var s = 0; s < Shards; s++)
                events.Add(new ShardCompleted(round, s, epochs[s], (WorkerId)workers[s], D(hash++), D(hash++), 0.5 - 0.0001 * round, At()));
            events.Add(new RoundCompleted(round, D(hash++), D(hash++), 0.5 - 0.0001 * round, At()));
        }
        events.RemoveRange(count - 1, events.Count - (count - 1));
        events.Add(new JobCancelled("benchmark history ends here", At()));
        return events;
    }

    private sealed record Write(IReadOnlyList<IJobEvent> Events);

    private sealed record Written(string? Error, long LastSnapshotBytes);

    /// <summary>Persists a history in batches and snapshots exactly where <see cref="JobActor"/> would (LastSequenceNr % 200 == 0).</summary>
    private sealed class JournalWriter : ReceivePersistentActor
    {
        private readonly string _persistenceId;
        private JobState _state = new();
        private IActorRef _replyTo = ActorRefs.Nobody;
        private int _pendingEvents;
        private int _pendingSnapshots;
        private long _lastSnapshotBytes;

        public override string PersistenceId => _persistenceId;

        public JournalWriter(string persistenceId, bool snapshots)
        {
            _persistenceId = persistenceId;
            Command<Write>(write =>
            {
                _replyTo = Sender;
                _pendingEvents = write.Events.Count;
                foreach (var batch in write.Events.Chunk(500))
                {
                    PersistAll(batch, e =>
                    {
                        _state = _state.Apply(e);
                        if (snapshots && LastSequenceNr % JobActor.SnapshotEvery == 0)
                        {
                            var snapshot = _state.ToSnapshot();
                            _lastSnapshotBytes = Context.System.Serialization.FindSerializerFor(snapshot).ToBinary(snapshot).Length;
                            _pendingSnapshots++;
                            SaveSnapshot(snapshot);
                        }
                        _pendingEvents--;
                        Done();
                    });
                }
            });
            Command<SaveSnapshotSuccess>(_ =>
            {
                _pendingSnapshots--;
                Done();
            });
            Command<SaveSnapshotFailure>(failed => _replyTo.Tell(new Written($"snapshot failed: {failed.Cause.Message}", 0)));
        }

        protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
        {
            _replyTo.Tell(new Written($"persist failed at {sequenceNr}: {cause.Message}", 0));
            base.OnPersistFailure(cause, @event, sequenceNr);
        }

        private void Done()
        {
            if (_pendingEvents == 0 && _pendingSnapshots == 0) _replyTo.Tell(new Written(null, _lastSnapshotBytes));
        }
    }

    private static string Ms(double seconds) => $"{seconds * 1000:F0} ms";

    private static double Median(IReadOnlyList<double> values) => ClusterBenchmarks.Median(values);
}
