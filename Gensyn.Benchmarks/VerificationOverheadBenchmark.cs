using System.Diagnostics;
using Akka.Actor;
using Gensyn.Actors.Verification;
using Gensyn.Contracts;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.Data;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;

namespace Gensyn.Benchmarks;

/// <summary>
/// Spot-check mode's cost: verifier CPU seconds (signature checks, loading the opened states, replaying the
/// challenged steps — exactly what a coordinator's VerifierActor runs) over the worker's training CPU seconds,
/// for an MNIST job's shards, at several k, beside the detection probability each k buys.
/// </summary>
public static class VerificationOverheadBenchmark
{
    public static void Run(string dataDir, string specPath, int[] samples, int shards = 4)
    {
        var yaml = File.ReadAllText(specPath);
        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(specPath))!;
        var spec = JobSpecParser.Parse(yaml, baseDirectory);
        using var data = DatasetLoader.Load(spec, dataDir);
        using var worker = new TrainingSession(spec, data);
        using var verifier = new TrainingSession(spec, data);
        var key = WorkerKey.Generate();
        var h = spec.InnerSteps;
        Console.WriteLine($"verification overhead: {spec.Name}, H = {h}, c = {spec.RequireTraining().CommitEvery}, {shards} shard(s) of round 0, honest worker; CPU seconds of this process per phase");

        // Warm-up (libtorch kernels, JIT) on a short shard.
        worker.RunShard(ShardTask.For(spec, 0, 0, data.Train.Count) with { InnerSteps = 5 }, worker.InitialState);

        var train = 0.0;
        var runs = new List<(ShardTask Task, ShardTrajectory Trajectory, MerkleTree Tree)>();
        for (var s = 0; s < shards; s++)
        {
            var task = ShardTask.For(spec, 0, s, data.Train.Count);
            var cpu = Cpu();
            var trajectory = ShardTrajectory.Run(worker, task, worker.InitialState, null, null, default);
            train += Cpu() - cpu;
            runs.Add((task, trajectory, new MerkleTree(trajectory.Outcome.StepDigests)));
        }
        Console.WriteLine($"  training         : {train:F2} CPU s for {shards} x {h} steps ({1000 * train / (shards * h):F1} ms/step, digests and checkpoints included)");
        var results = spec.Rounds * spec.Shards;
        Console.WriteLine($"       k | segments replayed (of {runs[0].Task.Segments}) | open (worker) CPU s | " +
                          "verify CPU s | verify / train | (open + verify) / train | " +
                          $"detection at f = 10%: per result, per job of {results} results");
        // A verifier reads each round start state once (TrainingJudge keeps them), not once per result.
        var starts = new StartStates();
        foreach (var k in samples)
        {
            double open = 0, verify = 0;
            var challenged = 0;
            foreach (var (task, trajectory, tree) in runs)
            {
                var blobs = new Dictionary<Sha256Digest, byte[]>();
                var startBytes = CheckpointFile.Serialize(worker.InitialState);
                var endBytes = CheckpointFile.Serialize(trajectory.Outcome.FinalState);
                var (startHash, endHash) = (Put(blobs, startBytes), Put(blobs, endBytes));
                // As a coordinator challenges a same-class result: the first and last segments, k drawn between them,
                // and a one-segment gap between challenged ones replayed too.
                var drawn = VerificationPolicy.TrainingSteps(ChallengeSampler.NewSecret(), "job-bench", 0, task.Shard,
                    trajectory.Outcome.MerkleRoot, task.Segments, 0, k);
                var steps = VerificationPolicy.ReplayingGaps(drawn, VerificationPolicy.ReplayedGapSegments);
                challenged += steps.Count;

                var cpu = Cpu();
                // As a spot-checked worker answers a same-class check: chained, leaf 0 as the assigned start state, and
                // the end state kept back when the replay of the last step rebuilds it.
                var plan = ChallengeAnswer.For(steps, task.Segments, withAfter: false, chained: true);
                var result = new ShardResult((JobId)"job-bench", 0, task.Shard, 1, (WorkerId)"w", endHash, trajectory.Outcome.MerkleRoot, trajectory.Outcome.Losses, "");
                var leaves = plan.Leaves.Select(leaf => ChallengeAnswer.Leaf(plan, leaf, trajectory.Outcome.StepDigests, tree, result,
                    plan.StateOf(leaf, startHash,
                        l => Put(blobs, CheckpointFile.Serialize(trajectory.OpenLeaf(worker, l)))),
                    key)).ToList();
                open += Cpu() - cpu;
                var rebuild = !plan.Full.Contains(task.Segments);
                if (rebuild) blobs.Remove(endHash);

                var request = new VerifyShard((JobId)"job-bench", new SpecRef(Put(blobs, System.Text.Encoding.UTF8.GetBytes(yaml))), baseDirectory, 0, task.Shard, 1, (WorkerId)"w", key.Address,
                    trajectory.Outcome.MerkleRoot, startHash, endHash, steps, leaves, CrossClass: false,
                    ActorRefs.Nobody, EndFromReplay: rebuild);
                cpu = Cpu();
                var verdict = ShardJudge.Judge(request, verifier, data.Train.Count, hash => blobs[hash], 1e-5, starts);
                verify += Cpu() - cpu;
                if (!verdict.IsAccepted) throw new InvalidOperationException($"an honest shard was rejected: {verdict.Reason}");
            }
            var replayed = Math.Min(h, (int)Math.Round((double)challenged / runs.Count * runs[0].Task.Every));
            var perShard = Detection(replayed, h, 0.10);
            Console.WriteLine($"  {k,6} | {(double)challenged / runs.Count,27:F1} | {open,19:F3} | {verify,12:F3} | " +
                              $"{verify / train,13:P2} | {(open + verify) / train,23:P2} | " +
                              $"{perShard,8:P1}, {1 - Math.Pow(1 - perShard, results),8:P2}");
        }
        Console.WriteLine($"  (per job: a worker that fakes 10% of the steps of every shard it runs, over the job's {results} results; one catch excludes it)");
    }

    /// <summary>1 − C(H − m, k) / C(H, k) with m = round(f·H): the chance that k distinct replayed steps (k challenged
    /// segments of c steps) hit a faked one.</summary>
    private static double Detection(int k, int h, double f)
    {
        var m = (int)Math.Round(f * h);
        k = Math.Min(k, h);
        var miss = 1.0;
        for (var i = 0; i < k; i++) miss *= (double)(h - m - i) / (h - i);
        return 1 - Math.Max(0, miss);
    }

    private static Sha256Digest Put(Dictionary<Sha256Digest, byte[]> blobs, byte[] bytes)
    {
        var hash = Sha256Digest.Of(bytes);
        blobs[hash] = bytes;
        return hash;
    }

    private static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
}
