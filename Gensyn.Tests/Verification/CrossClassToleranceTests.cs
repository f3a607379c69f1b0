using Gensyn.Training.Data;
using Gensyn.Training.Training;
using Gensyn.Training.Verification;
using TorchSharp;
using Xunit.Abstractions;

namespace Gensyn.Tests.Verification;

/// <summary>
/// Tests that change libtorch's process-wide thread count, or that compare bit-exact replays against earlier runs in this process,
/// run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchThreadCountCollection
{
    public const string Name = "torch thread count";
}

[Collection(TorchThreadCountCollection.Name)]
public class CrossClassToleranceTests(ITestOutputHelper output)
{
    [Fact]
    public void A_tolerance_calibrated_on_two_vs_one_threads_accepts_honest_steps_and_rejects_faked_ones()
    {
        // The worker's numeric class trains with 2 threads, the verifier's replays with 1. The small charlm's results
        // differ between the two by reduction-order rounding (relative errors of 1e-8), an mlp this small's not at all.
        // (An AMD EPYC host once gave the small cnn 6-14% of an update between 1 and 2 threads: oneDNN's AVX-512
        // convolution gradients were wrong there, which NativeKernels now avoids; see ConvolutionKernelTests.)
        using var temp = new TempDirectory();
        var spec = TestSpecs.CharLm(temp.Path);
        spec = spec with { Training = spec.RequireTraining() with { Threads = 1, CheckpointEvery = 1 } };
        var workerSpec = spec with { Training = spec.RequireTraining() with { Threads = 2 } };
        var previousThreads = torch.get_num_threads();
        using var data = DatasetLoader.Load(spec, temp.Path);
        try
        {
            using var worker = new TrainingSession(workerSpec, data);
            using var replayer = new TrainingSession(spec, data);
            var verifier = new SpotCheckVerifier(replayer);
            var h = spec.InnerSteps;
            var all = Enumerable.Range(1, h).ToArray();

            // Calibrate: honest shards of rounds 0..2 at 2 threads, every step replayed at 1 thread.
            var errors = new List<double>();
            var (differing, calibrated) = (0, 0);
            var start = worker.InitialState;
            for (var round = 0; round < 3; round++)
            {
                var round_ = round;
                var calibration = ShardRun.Honest(worker, ShardTask.For(spec, round_, 0, data.Train.Count), start);
                for (var i = 1; i <= h; i++, calibrated++)
                {
                    var replayed = replayer.ReplayStep(calibration.Task, calibration.States[i - 1], i);
                    if (replayed.Digest() != calibration.Digests[i]) differing++;
                    var (parameters, optimizer) = SpotCheckVerifier.RelativeUpdateError(calibration.States[i - 1], replayed, calibration.States[i]);
                    output.WriteLine($"calibration round {round} step {i}: relative error parameters {parameters:G3}, optimizer {optimizer:G3}");
                    errors.AddRange([parameters, optimizer]);
                }
                start = calibration.States[^1];
            }
            var tolerance = SpotCheckVerifier.CalibrateTolerance(errors);
            output.WriteLine($"{differing} of {calibrated} steps differ bit-wise between 2 and 1 threads; tolerance {tolerance:G3}");
            Assert.True(differing > 0, "2 and 1 threads gave bit-identical steps: this premise of the test (and of DESIGN's numeric class) does not hold here");
            Assert.InRange(tolerance, 1e-6, 1e-4);

            // Check: honest shards of later rounds (other batches), every step opened with its state after.
            var checkedSteps = 0;
            for (var round = 3; round <= 5; round++)
            {
                var round_ = round;
                var run = ShardRun.Honest(worker, ShardTask.For(spec, round_, 0, data.Train.Count), start);
                var challenge = new SpotCheckChallenge(run.Task, run.Root, all, run.States[0].Step);
                var openings = all.Select(s => run.Open(s, withAfter: true)).ToList();
                var verdict = verifier.VerifyWithinTolerance(challenge, openings, tolerance);
                output.WriteLine($"round {round}: {verdict}");
                Assert.True(verdict.IsAccepted, verdict.ToString());
                checkedSteps += h;
                // Bit for bit, the same honest work would be called fraud: that check is for one numeric class only.
                var exact = verifier.Verify(challenge, openings);
                output.WriteLine($"round {round}, bit-exact: {exact}");
                Assert.InRange(verdict.RelativeError!.Value, 0, tolerance);
                if (verdict.RelativeError > 0)
                {
                    Assert.Equal(VerdictKind.Fraud, exact.Kind);
                    Assert.True(exact.Evidence!.Expected != exact.Evidence.Claimed);
                }
                start = run.States[^1];

                if (round == 5)
                {
                    // A worker that inflates one update by 0.1% or skips a step is far outside the tolerance.
                    var inflated = run.FakeStep(worker, 3, (before, after) => StateEdits.ScaleUpdate(before, after, 1.001f));
                    var caught = verifier.VerifyWithinTolerance(new SpotCheckChallenge(inflated.Task, inflated.Root, [3]), [inflated.Open(3, withAfter: true)], tolerance);
                    output.WriteLine($"inflated: {caught}");
                    Assert.Equal(VerdictKind.Fraud, caught.Kind);
                    Assert.Equal(3, caught.Step);
                    Assert.InRange(caught.RelativeError!.Value, 5e-4, 2e-3);

                    var skipped = run.FakeStep(worker, 5, (before, _) => before.WithStep(before.Step + 1));
                    var lazy = verifier.VerifyWithinTolerance(new SpotCheckChallenge(skipped.Task, skipped.Root, [5]), [skipped.Open(5, withAfter: true)], tolerance);
                    Assert.Equal(VerdictKind.Fraud, lazy.Kind);
                    Assert.Equal(1.0, lazy.RelativeError!.Value, 3);
                }
            }
            Assert.Equal(3 * h, checkedSteps);
        }
        finally
        {
            torch.set_num_threads(previousThreads);
        }
    }
}
