using System.Globalization;
using System.Text.RegularExpressions;
using Gensyn.Tests.Cluster;

namespace Gensyn.Benchmarks;

// The job's timeline as the round-phases benchmark reads it: journaled events joined with the nodes' log lines.
public static partial class RoundPhasesBenchmark
{
    [GeneratedRegex(@"^(\d\d:\d\d:\d\d\.\d{3}) [A-Z]{3} (.*)$")]
    private static partial Regex LogLinePattern();

    [GeneratedRegex(@"^(\S+) round (\d+) shard (\d+) done: root \S+ \(fetch (\d+) ms, data and model (-?\d+) ms, " +
                    @"train (\d+) ms, upload (\d+) ms\)")]
    private static partial Regex DonePattern();

    [GeneratedRegex(@"^Opened (\S+) round (\d+) shard (\d+)'s challenged steps [\d, ]* in (\d+) ms")]
    private static partial Regex OpenedPattern();

    [GeneratedRegex(@"^(\S+) round (\d+) shard (\d+): worker (\S+) committed root")]
    private static partial Regex ChallengedPattern();

    [GeneratedRegex(@"^Verified (\S+) round (\d+) shard (\d+) from worker (\S+) in ([\d.]+) s")]
    private static partial Regex VerifiedPattern();

    private sealed record LogLine(DateTimeOffset At, string Text);

    /// <summary>One job's journal and its nodes' logs.</summary>
    private sealed class JobRecord
    {
        private readonly List<LogLine> _coordinator;
        private readonly Dictionary<string, List<LogLine>> _workers;
        private readonly string _jobId;
        private readonly int _innerSteps;
        private IReadOnlyList<RoundRecord>? _rounds;

        public JobRecord(IReadOnlyList<JournaledEvent> events, string coordinatorLog,
            Dictionary<string, string> workerLogs, string jobId, int innerSteps)
        {
            Events = events;
            (_jobId, _innerSteps) = (jobId, innerSteps);
            var reference = RoundPhasesBenchmark.At(events.First(e => e.Type == "JobSubmitted")).ToLocalTime();
            _coordinator = Lines(coordinatorLog, reference);
            _workers = workerLogs.ToDictionary(kv => kv.Key, kv => Lines(kv.Value, reference));
        }

        public IReadOnlyList<JournaledEvent> Events { get; }

        public DateTimeOffset At(string type) => RoundPhasesBenchmark.At(Events.First(e => e.Type == type));

        public IReadOnlyList<RoundRecord> Rounds() => _rounds ??= BuildRounds();

        private List<RoundRecord> BuildRounds()
        {
            var rounds = new List<RoundRecord>();
            var completedRounds = Events.Where(e => e.Type == "RoundCompleted").Select(e => e.Int("round"));
            foreach (var round in completedRounds.Distinct().Order())
            {
                var start = RoundPhasesBenchmark.At(Last("RoundStarted", e => e.Int("round") == round));
                var completed = RoundPhasesBenchmark.At(Last("RoundCompleted", e => e.Int("round") == round));
                var next = Events.LastOrDefault(e => e.Type == "RoundStarted" && e.Int("round") == round + 1);
                var shards = Events.Where(e => e.Type == "ShardCompleted" && e.Int("round") == round)
                    .GroupBy(e => e.Int("shard")).Select(g => Shard(g.Last(), _innerSteps)).ToList();
                rounds.Add(new RoundRecord(round, start, completed,
                    next is null ? completed : RoundPhasesBenchmark.At(next), shards));
            }
            return rounds;
        }

        private JournaledEvent Last(string type, Func<JournaledEvent, bool> which) =>
            Events.Last(e => e.Type == type && which(e));

        private ShardTimes Shard(JournaledEvent completed, int innerSteps)
        {
            var (round, shard, epoch, worker) =
                (completed.Int("round"), completed.Int("shard"), completed.Int("epoch"), completed.WorkerId!);
            bool Same(JournaledEvent e) =>
                e.Int("round") == round && e.Int("shard") == shard && e.Int("epoch") == epoch;
            var completedAt = RoundPhasesBenchmark.At(completed);
            var assigned = RoundPhasesBenchmark.At(Last("ShardAssigned", Same));
            var verified = Last("ShardVerified", Same);
            var log = _workers.TryGetValue(worker, out var lines)
                ? lines
                : throw new InvalidOperationException($"no log for worker {worker}");
            var done = Find(log, DonePattern(), round, shard, completedAt, "its worker's `done` line");
            var opened = Find(log, OpenedPattern(), round, shard, completedAt, "its worker's `Opened` line");
            var challenged = Find(_coordinator, ChallengedPattern(), round, shard, completedAt,
                "the coordinator's `committed root` line");
            var replayed = Find(_coordinator, VerifiedPattern(), round, shard, completedAt,
                "the verifier's `Verified` line");
            var checkpoints = Events.Where(e => e.Type == "ShardCheckpointSaved" && Same(e))
                .Select(e => (e.Int("localStep"), RoundPhasesBenchmark.At(e))).ToList();
            return new ShardTimes(round, shard, worker, innerSteps, assigned, done.At, Ms(done.Match, 4),
                Ms(done.Match, 5), Ms(done.Match, 6), Ms(done.Match, 7), challenged.At, opened.At,
                Ms(opened.Match, 4), replayed.At, verified.Data.GetProperty("verifySeconds").GetDouble(), completedAt,
                checkpoints);
        }

        /// <summary>The last line of <paramref name="pattern"/> for this job's round and shard logged by
        /// <paramref name="until"/>.</summary>
        private (DateTimeOffset At, Match Match) Find(List<LogLine> lines, Regex pattern, int round, int shard,
            DateTimeOffset until, string what)
        {
            for (var i = lines.Count - 1; i >= 0; i--)
            {
                if (lines[i].At > until + TimeSpan.FromSeconds(1)) continue;
                var m = pattern.Match(lines[i].Text);
                if (m.Success && m.Groups[1].Value == _jobId && int.Parse(m.Groups[2].Value) == round
                    && int.Parse(m.Groups[3].Value) == shard)
                    return (lines[i].At, m);
            }
            throw new InvalidOperationException($"round {round} shard {shard}: {what} is missing from the logs");
        }

        private static double Ms(Match m, int group) =>
            double.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) / 1000;

        /// <summary>Log lines with their time of day put on the date of <paramref name="reference"/> (or the day
        /// either side, whichever is closest).</summary>
        private static List<LogLine> Lines(string log, DateTimeOffset reference)
        {
            var lines = new List<LogLine>();
            foreach (var text in log.Split('\n'))
            {
                var m = LogLinePattern().Match(text.TrimEnd('\r'));
                if (!m.Success) continue;
                var time = TimeOnly.ParseExact(m.Groups[1].Value, "HH:mm:ss.fff", CultureInfo.InvariantCulture);
                var at = new DateTimeOffset(reference.Date + time.ToTimeSpan(), reference.Offset);
                if (at - reference > TimeSpan.FromHours(12)) at -= TimeSpan.FromDays(1);
                if (reference - at > TimeSpan.FromHours(12)) at += TimeSpan.FromDays(1);
                lines.Add(new LogLine(at, m.Groups[2].Value));
            }
            return lines;
        }
    }

    /// <summary>One accepted shard result: when each of its steps began and ended (seconds for durations).</summary>
    private sealed record ShardTimes(int Round, int Shard, string Worker, int InnerSteps, DateTimeOffset Assigned,
        DateTimeOffset Done, double Fetch, double Setup, double Train, double Upload, DateTimeOffset Challenged,
        DateTimeOffset Opened, double Open, DateTimeOffset Replayed, double Replay, DateTimeOffset Completed,
        IReadOnlyList<(int Step, DateTimeOffset At)> Checkpoints)
    {
        public DateTimeOffset TrainEnd => Done - TimeSpan.FromSeconds(Upload);

        public DateTimeOffset TrainStart => TrainEnd - TimeSpan.FromSeconds(Train);

        private DateTimeOffset FetchStart => TrainStart - TimeSpan.FromSeconds(Setup + Fetch);

        public bool CheckpointAfterTraining => Checkpoints.Any(c => c.At > TrainEnd);

        /// <summary>Each checkpoint's ShardCheckpointSaved time after its step's estimated end.</summary>
        public IEnumerable<double> CheckpointLags() => Checkpoints.Select(c =>
            (c.At - (TrainStart + TimeSpan.FromSeconds(Train * c.Step / InnerSteps))).TotalSeconds);

        /// <summary>This shard's phases from <paramref name="from"/> (the previous boundary) to its
        /// completion.</summary>
        public IEnumerable<(string Phase, double Seconds)> Segments(DateTimeOffset from) =>
        [
            ("sched", (Assigned - from).TotalSeconds),
            ("deliver", (FetchStart - Assigned).TotalSeconds),
            ("fetch", Fetch), ("setup", Setup), ("train", Train), ("upload", Upload),
            ("result", (Challenged - Done).TotalSeconds),
            ("chall", (Opened - TimeSpan.FromSeconds(Open) - Challenged).TotalSeconds),
            ("open", Open),
            ("vfetch", (Replayed - TimeSpan.FromSeconds(Replay) - Opened).TotalSeconds),
            ("replay", Replay),
            ("verdict", (Completed - Replayed).TotalSeconds),
        ];
    }

    /// <summary>One round: its shards and its critical path, the chain of the worker whose shard completed
    /// last.</summary>
    private sealed class RoundRecord
    {
        private readonly Dictionary<string, double> _phases = [];

        public RoundRecord(int round, DateTimeOffset start, DateTimeOffset completed, DateTimeOffset end,
            IReadOnlyList<ShardTimes> shards)
        {
            (Round, Start, Completed, End, Shards) = (round, start, completed, end, shards);
            var last = shards.MaxBy(s => s.Completed)!;
            var from = start;
            var chain = shards.Where(s => s.Worker == last.Worker).OrderBy(s => s.Assigned).ToList();
            for (var i = 0; i < chain.Count; i++)
            {
                var s = chain[i];
                // A worker granted its next shard before this one's verdict: the verification ran beside the next
                // shard, off the path, which goes on from the result the coordinator received.
                var overlapped = i + 1 < chain.Count && chain[i + 1].Assigned < s.Completed;
                var segments = s.Segments(from).ToList();
                if (overlapped) segments = segments.Take(segments.FindIndex(p => p.Phase == "result") + 1).ToList();
                foreach (var (phase, seconds) in segments)
                    _phases[phase] = _phases.GetValueOrDefault(phase) + seconds;
                from = overlapped ? s.Challenged : s.Completed;
            }
            _phases["aggr"] = (completed - from).TotalSeconds;
            _phases["next"] = (end - completed).TotalSeconds;
        }

        public int Round { get; }
        public DateTimeOffset Start { get; }
        public DateTimeOffset Completed { get; }
        public DateTimeOffset End { get; }
        public IReadOnlyList<ShardTimes> Shards { get; }

        public DateTimeOffset FirstAssigned => Shards.Min(s => s.Assigned);
        public DateTimeOffset FirstTraining => Shards.Min(s => s.TrainStart);
        public double Wall => (End - Start).TotalSeconds;
        public double LongestTrain => Shards.Max(s => s.Train);
        public double Overhead => Wall - LongestTrain;
        public double BusiestTrain => Shards.GroupBy(s => s.Worker).Max(g => g.Sum(s => s.Train));

        public double Phase(string phase) => _phases.GetValueOrDefault(phase);
    }
}
